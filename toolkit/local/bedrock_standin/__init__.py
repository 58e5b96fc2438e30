"""A local stand-in for Amazon Bedrock Runtime (Anthropic models), on loopback.

It answers `InvokeModel` (Anthropic Messages body) and `Converse` the way the engine calls them, so the
engine's real Bedrock client code runs locally: boto3 reaches it through `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`.

What it does, like Bedrock:
- checks the request shape (body keys, `anthropic_version`, `max_tokens`, messages, model id and the
  inference-profile geography against the signed region) and answers `ValidationException` otherwise;
- reads the SigV4 credential scope of the `Authorization` header to record the region each call was signed for;
- answers with usage token counts (estimated at ~3.5 characters per token) and the token-count headers.

What it does instead of a model: deterministic, schema-valid JSON derived from the prompt (the newsletter
editorial and the batched normalization prompt), so the local newsletter reads sensibly. Answers are plainly
labelled: the response carries `x-standin: 1` and no text claims to come from Claude.

Fault injection, reproducible through a seeded RNG: added latency, throttling (429), service unavailable (503),
model timeout (408), a slow answer that outlasts a client read timeout, and malformed model output. Answers a
real account gives: model access not granted (403 AccessDeniedException), answers cut at `max_tokens`, refusals
(`access_denied_models`, `cut_answers`, `refuse_answers` in the config).

The package: `server` is the HTTP shell (the server, fault injection, call log, control endpoint, CLI), `checks`
the request checking, `answers` the answer writing (in whole sentences of the lengths the prompts ask for), `lexicon`
what its reader knows of the field; the names below are re-exported so callers import from here.

Control endpoint: `GET /_standin/health`, `GET|DELETE /_standin/calls`, `POST /_standin/config`.
CLI: `python -m toolkit.local.bedrock_standin --port 5056 [--latency-ms N] [--throttle-rate R] ...`.
"""

from .answers import (
    CHARS_PER_TOKEN,
    EDITORIAL_MARKER,
    EVENT_TYPES_MARKER,
    NORMALIZATION_MARKER,
    STANDIN_NOTICE,
    allowed_event_types,
    answer_text,
    classify_event,
    editorial_answer,
    estimate_tokens,
    extract_molecules,
    is_about_lai,
    malformed_text,
    normalization_answer,
    parse_editorial_user,
    prompt_purpose,
    significance_of,
    whole_sentences,
)
from .checks import (
    ANTHROPIC_BODY_KEYS,
    ANTHROPIC_VERSION,
    PROFILE_REGION_PREFIXES,
    VALIDATION_ERROR_TYPE,
    StandInRequestError,
    check_model_id,
    parse_anthropic_body,
    parse_converse_body,
    signing_scope,
)
from .lexicon import (
    COMPANIES,
    DECISIVE,
    LAI_WORDS,
    MOLECULES,
    OTHER_SENSES,
    PURE_PLAYERS,
    TECHNOLOGIES,
    TRADEMARKS,
)
from .server import (
    ACCESS_DENIED_MESSAGE,
    CALL_LOG_LIMIT,
    SETTING_ANSWERS,
    SETTING_RATES,
    SONNET_45_OUTPUT_TOKENS_PER_S,
    SONNET_45_TTFT_MS,
    THROTTLING_MESSAGE,
    BedrockStandIn,
    main,
    model_latency_ms,
)

__all__ = [
    "ACCESS_DENIED_MESSAGE",
    "ANTHROPIC_BODY_KEYS",
    "ANTHROPIC_VERSION",
    "BedrockStandIn",
    "CALL_LOG_LIMIT",
    "CHARS_PER_TOKEN",
    "COMPANIES",
    "DECISIVE",
    "EDITORIAL_MARKER",
    "EVENT_TYPES_MARKER",
    "LAI_WORDS",
    "MOLECULES",
    "NORMALIZATION_MARKER",
    "OTHER_SENSES",
    "PROFILE_REGION_PREFIXES",
    "PURE_PLAYERS",
    "SETTING_ANSWERS",
    "SETTING_RATES",
    "SONNET_45_OUTPUT_TOKENS_PER_S",
    "SONNET_45_TTFT_MS",
    "STANDIN_NOTICE",
    "StandInRequestError",
    "TECHNOLOGIES",
    "THROTTLING_MESSAGE",
    "TRADEMARKS",
    "VALIDATION_ERROR_TYPE",
    "allowed_event_types",
    "answer_text",
    "check_model_id",
    "classify_event",
    "editorial_answer",
    "estimate_tokens",
    "extract_molecules",
    "is_about_lai",
    "main",
    "malformed_text",
    "model_latency_ms",
    "normalization_answer",
    "parse_anthropic_body",
    "parse_converse_body",
    "parse_editorial_user",
    "prompt_purpose",
    "significance_of",
    "signing_scope",
    "whole_sentences",
]
