"""Request checking: what Bedrock Runtime refuses, with its status, error type and wording."""

from __future__ import annotations

import json
import re
from typing import Any

ANTHROPIC_VERSION = "bedrock-2023-05-31"
VALIDATION_ERROR_TYPE = "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/"

# Keys Bedrock accepts in an Anthropic Messages body; any other key is refused, as Bedrock does.
ANTHROPIC_BODY_KEYS = frozenset(
    {
        "anthropic_version",
        "anthropic_beta",
        "max_tokens",
        "messages",
        "system",
        "temperature",
        "top_p",
        "top_k",
        "stop_sequences",
        "tools",
        "tool_choice",
        "thinking",
        "metadata",
    }
)

# Cross-region inference profiles only run from source regions of their geography.
PROFILE_REGION_PREFIXES = {
    "us.": ("us-",),
    "us-gov.": ("us-gov-",),
    "eu.": ("eu-",),
    "apac.": ("ap-",),
    "jp.": ("ap-northeast-",),
    "au.": ("ap-southeast-",),
    "ca.": ("ca-",),
}

_SCOPE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


class StandInRequestError(Exception):
    """A request Bedrock would refuse: carries the status, the error type and the message."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message


def _validation(message: str) -> StandInRequestError:
    return StandInRequestError(400, VALIDATION_ERROR_TYPE, message)


def _malformed(where: str, problem: str) -> StandInRequestError:
    """Bedrock's wording for an Anthropic body that breaks the model's input schema."""
    return _validation(f"Malformed input request: {where}: {problem}, please reformat your input and try again.")


def signing_scope(authorization: str) -> dict[str, str] | None:
    """`AWS4-HMAC-SHA256 Credential=AKID/20261125/eu-west-3/bedrock/aws4_request, ...` -> its parts."""
    match = _SCOPE.search(authorization or "")
    if not match:
        return None
    access_key, day, region, service = match.groups()
    return {"access_key": access_key, "date": day, "region": region, "service": service}


# --------------------------------------------------------------------------------------------------
# Request checks
# --------------------------------------------------------------------------------------------------


def _message_text(content: Any, field_name: str) -> str:
    """Text of a message content: a string or a list of content blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if not isinstance(block, dict):
                raise _malformed(f"#/{field_name}", "expected type: JSONObject")
            if isinstance(block.get("text"), str):
                parts.append(block["text"])
        return "\n".join(parts)
    raise _malformed(f"#/{field_name}", "expected type: String or JSONArray")


def check_model_id(model_id: str, region: str | None) -> None:
    """Refuse non-Anthropic ids and, unless `region` is None, a profile called outside its geography."""
    if "anthropic." not in model_id:
        raise _validation("The provided model identifier is invalid.")
    if region is None:
        return
    for prefix, regions in PROFILE_REGION_PREFIXES.items():
        if model_id.startswith(prefix) and not region.startswith(regions):
            raise _validation("The provided model identifier is invalid.")


def parse_anthropic_body(raw: bytes) -> tuple[str, str, list[dict[str, Any]], int]:
    """Check an InvokeModel Anthropic Messages body; return (system, first user text, all texts, max_tokens)."""
    try:
        body = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError):
        raise _validation("Malformed input request, please reformat your input and try again.") from None
    if not isinstance(body, dict):
        raise _malformed("#", "expected type: JSONObject")
    extra = sorted(set(body) - ANTHROPIC_BODY_KEYS)
    if extra:
        raise _malformed("#", f"extraneous key [{extra[0]}] is not permitted")
    for key in ("anthropic_version", "max_tokens", "messages"):
        if key not in body:
            raise _malformed("#", f"required key [{key}] not found")
    if body["anthropic_version"] != ANTHROPIC_VERSION:
        raise _validation(f"Invalid API version: anthropic_version must be {ANTHROPIC_VERSION}.")
    max_tokens = body["max_tokens"]
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens <= 0:
        raise _malformed("#/max_tokens", "must be an integer greater than 0")
    temperature = body.get("temperature", 1.0)
    if not isinstance(temperature, (int, float)) or isinstance(temperature, bool) or not 0 <= temperature <= 1:
        raise _malformed("#/temperature", "must be a number between 0 and 1")
    system = body.get("system", "")
    if not isinstance(system, (str, list)):
        raise _malformed("#/system", "expected type: String")
    system_text = _message_text(system, "system")
    messages = body["messages"]
    if not isinstance(messages, list) or not messages:
        raise _malformed("#/messages", "expected minimum item count: 1")
    texts = []
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message or "content" not in message:
            raise _malformed(f"#/messages/{i}", "required keys [role, content]")
        if message["role"] not in ("user", "assistant"):
            raise _validation(f"messages.{i}.role: Input should be 'user' or 'assistant'")
        texts.append(_message_text(message["content"], f"messages/{i}/content"))
    if messages[0]["role"] != "user":
        raise _validation('messages: first message must use the "user" role')
    user_text = texts[0]  # the prompt; later turns are the engine's repair request, answered from the prompt
    return system_text, user_text, [{"text": t} for t in [system_text, *texts]], max_tokens


def parse_converse_body(raw: bytes) -> tuple[str, str, list[dict[str, Any]], int]:
    """Check a Converse body; same return shape as `parse_anthropic_body`."""
    try:
        body = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError):
        raise _validation("Malformed input request, please reformat your input and try again.") from None
    if not isinstance(body, dict):
        raise _validation("Malformed input request, please reformat your input and try again.")
    messages = body.get("messages")
    must_start = (
        "A conversation must start with a user message. Try again with a conversation that starts with a user message."
    )
    if not isinstance(messages, list) or not messages:
        raise _validation(must_start)
    texts = []
    for message in messages:
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ("user", "assistant") or not isinstance(message.get("content"), list):
            raise _validation("Malformed input request: each message needs a role and a list of content blocks.")
        texts.append(_message_text(message["content"], "messages/content"))
    if messages[0]["role"] != "user":
        raise _validation(must_start)
    system = body.get("system", [])
    if not isinstance(system, list):
        raise _validation("Malformed input request: system must be a list of content blocks.")
    system_text = _message_text(system, "system")
    config = body.get("inferenceConfig", {}) or {}
    max_tokens = config.get("maxTokens", 4096)
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens <= 0:
        raise _validation(
            "1 validation error detected: Value at 'inferenceConfig.maxTokens' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1"
        )
    user_text = texts[0]
    return system_text, user_text, [{"text": t} for t in [system_text, *texts]], max_tokens
