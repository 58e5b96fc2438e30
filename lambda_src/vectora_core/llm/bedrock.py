"""Bedrock backend: Claude through cross-region inference profiles, one client per purpose.

InvokeModel with the native Anthropic Messages body, not Converse: the body is exactly what
Anthropic documents (system prompt, max_tokens, temperature), `usage` comes back as-is, and
InvokeModel has existed in every boto3 a Lambda runtime ships, so the runtime's boto3 suffices.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from .. import log_phrases
from ..extraction import SUMMARY_CHARS, canonicalize, extract, extractive_summary
from ..logs import log_event
from ..models import Editorial, EditorialSection, NormalizedItem, RawItem, Scopes
from ..settings import BedrockTarget, Settings
from ..text import fit_sentences
from . import prompts
from .base import BlockingProblem, Budget, EditorialRequest, Usage
from .offline import normalize_offline, offline_editorial

ANTHROPIC_VERSION = "bedrock-2023-05-31"
# Errors botocore's standard mode does not retry but a short wait usually cures. ModelNotReadyException is not
# here: bedrock-runtime models it as retryable, so botocore already retries it up to total_max_attempts.
RETRYABLE_MODEL_ERRORS = ("ModelTimeoutException",)
THROTTLING_ERRORS = ("ThrottlingException", "TooManyRequestsException", "ServiceQuotaExceededException")
# Errors no retry will heal: the account, the role or the request must change (see blocking_problem).
BLOCKING_ERRORS = ("AccessDeniedException", "ValidationException", "ResourceNotFoundException")
STAGES = {"newsletter": "editorial", "normalization": "normalization"}

_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()


class ModelAnswerError(RuntimeError):
    """The model's answer failed validation (after the repair attempt)."""


class ModelRefusal(RuntimeError):
    """The model declined to answer (stop_reason `refusal`): asking again gets the same answer."""


class ModelBlocked(RuntimeError):
    """An earlier call of this run hit a blocking problem for this purpose: no further call is made."""

    def __init__(self, problem: BlockingProblem) -> None:
        super().__init__(f"Bedrock call skipped: {problem.error_code} earlier in this run")
        self.problem = problem


@dataclass(frozen=True)
class ModelAnswer:
    text: str
    input_tokens: int
    output_tokens: int
    stop_reason: str


def get_bedrock_client_hybrid(target: BedrockTarget, settings: Settings):
    """One bedrock-runtime client per purpose and region, created once per container and reused."""
    key = (target.purpose, target.region)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client(
                "bedrock-runtime",
                region_name=target.region,
                config=Config(
                    # total_max_attempts counts the first call; max_attempts would count retries only.
                    retries={"mode": "standard", "total_max_attempts": settings.bedrock_max_attempts},
                    connect_timeout=5,
                    read_timeout=settings.bedrock_read_timeout_seconds,  # long completions take a while
                    max_pool_connections=settings.normalization_concurrency + 2,
                ),
            )
            _clients[key] = client
    return client


def log_routing(settings: Settings) -> None:
    """Where each purpose goes, logged by every invocation: a warm one reuses the container's clients, and the
    smoke test's regions check reads the lines of the runs it made."""
    for target in (settings.newsletter, settings.normalization):
        log_event(
            log_phrases.bedrock_routing(target.purpose, target.region),
            purpose=target.purpose,
            region=target.region,
            model_id=target.model_id,
        )


def reset_clients() -> None:
    with _clients_lock:
        _clients.clear()


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code", "")
    return type(exc).__name__


def parse_json_answer(text: str) -> Any:
    """The JSON object in a model answer, tolerating prose or code fences around it."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("no JSON object in the answer")
    return json.loads(text[start : end + 1])


class BedrockLLM:
    name = "bedrock"

    def __init__(self, settings: Settings, sleep=time.sleep, rng: random.Random | None = None):
        self.settings = settings
        self.usage = Usage()
        self._usage_lock = threading.Lock()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.blocking_problems: list[BlockingProblem] = []
        self._blocked: dict[str, BlockingProblem] = {}  # purpose → its first blocking problem in this run
        self.answered_by_standin = False
        log_routing(settings)

    # --- identity, part of stored-item versions and the editorial cache key ---------------------
    def normalization_version(self) -> str:
        return f"{prompts.NORMALIZATION_PROMPT_VERSION}/{self.settings.normalization.model_id}"

    def editorial_identity(self) -> tuple[str, str]:
        return prompts.EDITORIAL_PROMPT_VERSION, self.settings.newsletter.model_id

    # --- the one place that calls Bedrock --------------------------------------------------------
    def invoke(
        self, target: BedrockTarget, system: str, messages: list[dict], max_tokens: int, budget: Budget
    ) -> ModelAnswer:
        blocked = self._blocked.get(target.purpose)
        if blocked:
            raise ModelBlocked(blocked)
        client = get_bedrock_client_hybrid(target, self.settings)
        body = {
            "anthropic_version": ANTHROPIC_VERSION,
            "max_tokens": max_tokens,
            "temperature": 0.2,
            "system": system,
            "messages": messages,
        }
        attempt = 0
        throttle_waits, throttle_waited = 0, 0.0
        while True:
            attempt += 1
            try:
                response = client.invoke_model(
                    modelId=target.model_id,
                    body=json.dumps(body),
                    contentType="application/json",
                    accept="application/json",
                )
                break
            except Exception as exc:  # botocore raises ClientError and connection errors alike
                code = _error_code(exc)
                if code in THROTTLING_ERRORS:
                    # botocore's own retries are spent and the quota is still full. Bedrock's quotas refill within
                    # the minute: waiting (jittered, so a fleet's runs do not retry in step) beats degrading.
                    delay = min(20.0, 2.0 * 1.6**throttle_waits) * self._rng.uniform(0.5, 1.0)
                    patience = self.settings.bedrock_throttle_patience_seconds
                    if throttle_waited + delay > patience or budget.exhausted(int(delay * 1000) + 10_000):
                        raise
                    throttle_waits, throttle_waited = throttle_waits + 1, throttle_waited + delay
                    log_event(
                        "Bedrock : quota atteint, nouvel essai",
                        level="WARNING",
                        purpose=target.purpose,
                        code=code,
                        waited_s=round(throttle_waited, 1),
                    )
                    self._sleep(delay)
                    continue
                # botocore already retried throttling, 5xx and read timeouts; only model errors it does not know remain.
                retry = code in RETRYABLE_MODEL_ERRORS
                if not retry or attempt >= self.settings.bedrock_max_attempts or budget.exhausted(5_000):
                    raise
                delay = min(8.0, 0.5 * 2 ** (attempt - 1)) * self._rng.uniform(0.5, 1.0)  # jittered backoff
                log_event(
                    "Bedrock : nouvel essai",
                    level="WARNING",
                    purpose=target.purpose,
                    code=code,
                    attempt=attempt,
                    delay_s=round(delay, 2),
                )
                self._sleep(delay)
        headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        if headers.get("x-standin"):
            self.answered_by_standin = True
        payload = json.loads(response["body"].read())
        usage = payload.get("usage", {})
        input_tokens, output_tokens = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
        with self._usage_lock:
            self.usage.add(target.purpose, input_tokens, output_tokens)
        text = "".join(part.get("text", "") for part in payload.get("content") or [] if part.get("type") == "text")
        return ModelAnswer(text, input_tokens, output_tokens, str(payload.get("stop_reason") or ""))

    def ask_json(
        self, target: BedrockTarget, system: str, user: str, max_tokens: int, budget: Budget, validate
    ) -> tuple[Any, int, int]:
        """Ask for JSON, validate, repair once with the problems listed, else raise ModelAnswerError.

        An answer cut at `max_tokens` is asked again once with twice the cap (a repair turn would hit the same
        cap); cut again, it is a ModelAnswerError naming the cap. A refusal raises ModelRefusal.
        """
        messages = [{"role": "user", "content": user}]
        total_in = total_out = 0
        raised_cap = False
        repaired = False
        while True:
            answer = self.invoke(target, system, messages, max_tokens, budget)
            total_in, total_out = total_in + answer.input_tokens, total_out + answer.output_tokens
            if answer.stop_reason == "refusal":
                raise ModelRefusal(
                    f"the model refused to answer the {STAGES.get(target.purpose, target.purpose)} prompt (stop_reason refusal)"
                )
            if answer.stop_reason == "max_tokens":
                if raised_cap:
                    raise ModelAnswerError(f"model answer cut at max_tokens twice (cap {max_tokens} output tokens)")
                log_event(
                    "Réponse Bedrock tronquée, nouvel essai",
                    level="WARNING",
                    purpose=target.purpose,
                    max_tokens=max_tokens,
                )
                raised_cap, max_tokens = True, min(prompts.MAX_OUTPUT_TOKENS, max_tokens * 2)
                continue
            try:
                data = parse_json_answer(answer.text)
                problems = validate(data)
            except ValueError as exc:
                problems = [str(exc)]
            if not problems:
                return data, total_in, total_out
            if repaired:
                raise ModelAnswerError("model answer invalid after one repair: " + "; ".join(problems[:3]))
            repaired = True
            log_event(
                "Réponse Bedrock invalide, réparation", level="WARNING", purpose=target.purpose, problems=problems[:5]
            )
            messages = messages + [
                {"role": "assistant", "content": answer.text[:4000] or "(empty)"},
                {
                    "role": "user",
                    "content": "Invalid answer: "
                    + "; ".join(problems[:10])
                    + ". Reply with the corrected JSON object only.",
                },
            ]

    # --- failures: transient ones degrade this run, blocking ones are also reported with their fix -------------
    def _failure_reason(self, exc: Exception, target: BedrockTarget) -> str:
        """The degradation reason; a blocking failure is also recorded (once per stage and code) and logged as an
        error. Access, validation and unknown-model errors stop the stage's further calls in this run; a refusal
        concerns one prompt's content, so the other batches still go to the model."""
        if isinstance(exc, ModelBlocked):
            return f"Bedrock call skipped after {exc.problem.error_code}: {exc.problem.fix}"
        problem = blocking_problem(exc, target)
        if problem is None:
            return _failure_reason(exc)
        with self._usage_lock:
            first = all((p.stage, p.error_code) != (problem.stage, problem.error_code) for p in self.blocking_problems)
            if first:
                self.blocking_problems.append(problem)
            if problem.error_code != "refusal":
                self._blocked.setdefault(target.purpose, problem)
        if first:
            log_event(
                "Problème Bedrock bloquant",
                level="ERROR",
                stage=problem.stage,
                error_code=problem.error_code,
                model_id=target.model_id,
                region=target.region,
                message_detail=problem.message,
                fix=problem.fix,
            )
        return f"{problem.error_code}: {problem.message}"

    # --- normalization: batches in a bounded pool ------------------------------------------------
    def normalize(
        self, items: Sequence[RawItem], scopes: Scopes, budget: Budget, on_batch=None
    ) -> list[NormalizedItem]:
        # A model's answer takes time in proportion to the tokens it writes: when the items fit the pool in
        # one wave, spread them over every worker rather than filling a few batches to the maximum size.
        concurrency = max(1, self.settings.normalization_concurrency)
        size = max(1, min(self.settings.normalization_batch_size, math.ceil(len(items) / concurrency)))
        batches = [list(items[i : i + size]) for i in range(0, len(items), size)]
        if not batches:
            return []
        get_bedrock_client_hybrid(self.settings.normalization, self.settings)  # the client before the pool starts
        with ThreadPoolExecutor(max_workers=min(self.settings.normalization_concurrency, len(batches))) as pool:

            def run(batch: list[RawItem]) -> list[NormalizedItem]:
                done = self._normalize_batch(batch, scopes, budget)
                if on_batch:
                    on_batch(done)  # store while other batches still wait on the model
                return done

            results = list(pool.map(run, batches))
        return [item for batch in results for item in batch]

    def _normalize_batch(self, batch: list[RawItem], scopes: Scopes, budget: Budget) -> list[NormalizedItem]:
        if budget.exhausted():
            return [normalize_offline(i, scopes, "time budget running low") for i in batch]
        event_types = [r.event_type for r in scopes.event_types]
        system, user = prompts.build_normalization_prompt(batch, event_types, scopes)
        ids = [i.item_id for i in batch]
        try:
            data, _, _ = self.ask_json(
                self.settings.normalization,
                system,
                user,
                prompts.normalization_max_tokens(len(batch)),
                budget,
                lambda d: prompts.validate_normalization(d, ids, event_types),
            )
        except ModelAnswerError as exc:
            return [normalize_offline(i, scopes, str(exc)) for i in batch]
        except Exception as exc:
            reason = self._failure_reason(exc, self.settings.normalization)
            log_event(
                "Normalisation Bedrock en échec, repli hors ligne", level="WARNING", reason=reason, items=len(batch)
            )
            return [normalize_offline(i, scopes, reason) for i in batch]
        answers = {entry["id"]: entry for entry in data["items"]}
        return [self._merge_answer(raw, answers[raw.item_id], scopes) for raw in batch]

    def _merge_answer(self, raw: RawItem, answer: dict, scopes: Scopes) -> NormalizedItem:
        """The model's event type and summary; entities are the model's canonicalized names plus alias matches."""
        found = extract(raw, scopes)
        verdict = answer.get("on_topic")  # the model's reading of relevance to the field its prompt names

        def union(model_names, entities, extracted):
            return tuple(dict.fromkeys((*extracted, *canonicalize(model_names, entities))))

        return NormalizedItem(
            item_id=raw.item_id,
            source_id=raw.source_id,
            url=raw.url,
            title=raw.title,
            published=raw.published,
            content_hash=raw.content_hash,
            # Whole sentences only: a summary the model let run on, or left unfinished, gives way to the lede's.
            summary=fit_sentences(answer["summary"], SUMMARY_CHARS, hard_limit=300)
            or extractive_summary(raw.title, raw.text),
            event_type=answer["event_type"],
            companies=union(answer.get("companies", []), scopes.companies, found.companies),
            molecules=union(answer.get("molecules", []), scopes.molecules, found.molecules),
            trademarks=union(answer.get("trademarks", []), scopes.trademarks, found.trademarks),
            technologies=union(answer.get("technologies", []), scopes.technologies, found.technologies),
            backend="bedrock",
            # The model's reading of the event and of the item's subject; the rules' estimate when it gave none.
            significance=answer.get("significance") or found.significance,
            on_topic=verdict if isinstance(verdict, bool) else found.on_topic,
            relevance_note=""
            if (verdict if isinstance(verdict, bool) else found.on_topic)
            else (found.relevance_note or "the model judged it off the field"),
            dated=raw.dated,
        )

    # --- editorial ---------------------------------------------------------------------------------
    def write_editorial(self, request: EditorialRequest, budget: Budget) -> Editorial:
        target = self.settings.newsletter
        if not request.selected:
            return offline_editorial(request)
        section_ids = sorted({s.section_id for s in request.selected})
        system, user = prompts.build_editorial_prompt(
            request.client.name,
            request.window_start,
            request.window_end,
            request.client.sections,
            request.selected,
            request.client.scopes,
        )
        log_event(
            log_phrases.EDITORIAL_PROMPT,
            prompt_version=prompts.EDITORIAL_PROMPT_VERSION,
            estimated_tokens=prompts.estimate_tokens(system + user),
            items=len(request.selected),
        )
        log_event("Prompt éditorial (texte)", level="DEBUG", system=system, user=user)
        get_bedrock_client_hybrid(target, self.settings)
        if budget.exhausted(10_000):
            return offline_editorial(request, "the time budget ran low before the editorial call")
        try:
            data, tokens_in, tokens_out = self.ask_json(
                target,
                system,
                user,
                prompts.editorial_max_tokens(len(section_ids)),
                budget,
                lambda d: prompts.validate_editorial(d, section_ids),
            )
        except Exception as exc:
            reason = self._failure_reason(exc, target)
            log_event("Éditorial Bedrock en échec, repli hors ligne", level="WARNING", reason=reason)
            return offline_editorial(request, reason)
        log_event(
            "Éditorial Bedrock généré",
            model_id=target.model_id,
            region=target.region,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
        )
        return Editorial(
            # As the model wrote them: the editorial check (faithfulness.py) keeps whole sentences that fit.
            title=data["title"].strip(),
            intro=data["intro"].strip(),
            tldr=tuple(x.strip() for x in data["tldr"][:5]),
            sections=tuple(EditorialSection(sid, data["sections"][sid].strip()) for sid in section_ids),
            backend="bedrock",
            model_id=target.model_id,
            region=target.region,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            prompt_version=prompts.EDITORIAL_PROMPT_VERSION,
            standin=self.answered_by_standin,
        )


def _failure_reason(exc: Exception) -> str:
    code = _error_code(exc)
    if code in THROTTLING_ERRORS:
        return f"Bedrock throttled the request ({code}) after retries"
    if isinstance(exc, ModelAnswerError):
        return str(exc)
    if type(exc).__name__ in ("ReadTimeoutError", "ConnectTimeoutError") or code == "ModelTimeoutException":
        return f"Bedrock timed out ({code})"
    message = str(exc).splitlines()[0][:160] if str(exc) else code
    return f"Bedrock call failed ({code}): {message}"


def _error_message(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and response.get("Error", {}).get("Message"):
        return str(response["Error"]["Message"]).splitlines()[0][:300]
    return (str(exc).splitlines() or [type(exc).__name__])[0][:300]


def blocking_problem(exc: Exception, target: BedrockTarget) -> BlockingProblem | None:
    """The problem and its one-line fix when `exc` will not heal by retrying; None for transient failures."""
    stage = STAGES.get(target.purpose, target.purpose)
    variable = f"BEDROCK_MODEL_ID_{target.purpose.upper()}"
    model, region = target.model_id, target.region
    if isinstance(exc, ModelRefusal):
        return BlockingProblem(
            stage,
            "refusal",
            str(exc),
            f"the model declined the {stage} prompt: look at the items of this run for content it refuses",
        )
    code = _error_code(exc)
    if code not in BLOCKING_ERRORS:
        return None
    message = _error_message(exc)
    # The first use of a Marketplace model in an account subscribes with the caller's permissions; that denial
    # also says "not authorized to perform", but names aws-marketplace actions, which the function's role is not
    # meant to hold (https://docs.aws.amazon.com/bedrock/latest/userguide/model-access.html).
    if code == "AccessDeniedException" and "marketplace" in message.lower():
        fix = (
            f"enable model access for {model} in the Bedrock console of {region} with an identity allowed "
            "aws-marketplace:Subscribe and ViewSubscriptions (Marketplace subscription + Anthropic use-case form), "
            "wait up to 15 minutes, then deploy again"
        )
    elif code == "AccessDeniedException" and "not authorized to perform" in message:
        fix = (
            f"allow bedrock:InvokeModel on {model} and its foundation model in the function's role "
            "(terraform/modules/engine_function), then terraform apply"
        )
    elif code == "AccessDeniedException":
        fix = (
            f"enable model access for {model} in the Bedrock console of {region} "
            "(Marketplace subscription + Anthropic use-case form)"
        )
    elif code == "ResourceNotFoundException":
        fix = f"{model} is unknown or retired in {region}: set {variable} in env/<env>.json to an inference profile listed there"
    else:
        fix = (
            f"check {variable} ({model}): an inference profile id whose geography includes {region} "
            "(eu. from eu- Regions, us. from us- Regions)"
        )
    return BlockingProblem(stage, code, message, fix)
