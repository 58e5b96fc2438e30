"""An IAM evaluator for identity policies: does this role's policy allow this call (action, resource, context)?

The emulator enforces no IAM, so the tests record every AWS call a command makes and ask this evaluator whether
the role that would make it on AWS allows it. No maintained Python package evaluates requests against identity
policies with their conditions (policy_sentry and cloudsplaining describe or write policies, parliament lints
them, moto's own check ignores most resources and condition operators), so this is a small one of our own.

It follows AWS's evaluation logic for a single identity-based policy set in one account
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): an explicit Deny
wins, then any Allow, else the implicit deny. Action and Resource match with IAM's `*` and `?` wildcards (actions
case-insensitively), NotAction and NotResource invert them, and the condition operators of
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html that the
project's policies use are evaluated; an operator this module does not know fails closed (the statement does not
apply), so a check never passes by accident. Policy variables (`${aws:username}`) are not expanded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Request:
    """What IAM evaluates for one API call: the action, the resource ARN and the request's condition keys."""

    action: str  # service:Action, e.g. s3:GetObject
    resource: str  # ARN, or "*" for actions that take no resource
    context: Mapping[str, Any] = field(default_factory=dict)  # condition key → value (str, bool or list)
    call: str = ""  # the API call it came from, for messages: "s3.DeleteObject config-pending.json"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    statement: str | None  # Sid (or index) of the statement that decided, None for the implicit deny
    reason: str  # "allowed by Sid", "explicitly denied by Sid", "no statement allows it"


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _wildcard(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's wildcards: `*` any run of characters, `?` one character; nothing else is special."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


def _matches_action(statement: Mapping, action: str) -> bool:
    if "NotAction" in statement:
        return not any(_wildcard(p, action, ignore_case=True) for p in _as_list(statement["NotAction"]))
    return any(_wildcard(p, action, ignore_case=True) for p in _as_list(statement.get("Action")))


def _matches_resource(statement: Mapping, resource: str) -> bool:
    if "NotResource" in statement:
        return not any(_arn_like(p, resource) for p in _as_list(statement["NotResource"]))
    return any(_arn_like(p, resource) for p in _as_list(statement.get("Resource")))


def _arn_like(pattern: str, arn: str) -> bool:
    """ArnLike: each of the six colon-separated parts matches with wildcards; the resource part may hold colons."""
    if pattern == "*":
        return True
    pattern_parts, arn_parts = pattern.split(":", 5), arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return _wildcard(pattern, arn)
    return all(_wildcard(p, a) for p, a in zip(pattern_parts, arn_parts, strict=True))


def _string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# operator → (test of one request value against one policy value, negated)
_OPERATORS = {
    "StringEquals": (lambda v, p: v == p, False),
    "StringNotEquals": (lambda v, p: v == p, True),
    "StringEqualsIgnoreCase": (lambda v, p: v.lower() == p.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda v, p: v.lower() == p.lower(), True),
    "StringLike": (lambda v, p: _wildcard(p, v), False),
    "StringNotLike": (lambda v, p: _wildcard(p, v), True),
    "ArnEquals": (lambda v, p: v == p, False),
    "ArnNotEquals": (lambda v, p: v == p, True),
    "ArnLike": (lambda v, p: _arn_like(p, v), False),
    "ArnNotLike": (lambda v, p: _arn_like(p, v), True),
    "Bool": (lambda v, p: v.lower() == p.lower(), False),
    "NumericEquals": (lambda v, p: float(v) == float(p), False),
    "NumericLessThanEquals": (lambda v, p: float(v) <= float(p), False),
    "NumericGreaterThanEquals": (lambda v, p: float(v) >= float(p), False),
}


def _condition_holds(operator: str, key: str, allowed: Any, context: Mapping[str, Any]) -> bool:
    qualifier, _, base = operator.rpartition(":")  # ForAnyValue:StringLike
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    if base == "Null":
        present = key in context and context[key] is not None
        return present != (_string(_as_list(allowed)[0]).lower() == "true")
    if base not in _OPERATORS:
        return False  # unknown operator: fail closed
    test, negated = _OPERATORS[base]
    # Condition keys are case-insensitive (their values are not).
    found = next((k for k in context if k.lower() == key.lower()), None)
    if found is None or context[found] is None:
        # A missing key: IfExists and negated operators hold, the others do not (AWS documents both).
        return if_exists or (negated and qualifier != "ForAnyValue")
    values = [_string(v) for v in _as_list(context[found])]
    patterns = [_string(p) for p in _as_list(allowed)]

    def one(value: str) -> bool:
        hit = any(test(value, pattern) for pattern in patterns)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(v) for v in values)
    return any(one(v) for v in values)  # a single-valued key, or ForAnyValue


def _conditions_hold(conditions: Mapping[str, Mapping[str, Any]], context: Mapping[str, Any]) -> bool:
    return all(
        _condition_holds(operator, key, allowed, context)
        for operator, pairs in conditions.items()
        for key, allowed in pairs.items()
    )


def statements_of(documents: Iterable[Mapping | list]) -> list[dict]:
    """Every statement of the given policy documents (a document's Statement may be one object or a list)."""
    statements: list[dict] = []
    for document in documents:
        body = document.get("Statement", []) if isinstance(document, Mapping) else document
        statements.extend(_as_list(body))
    return statements


def evaluate(statements: list[Mapping], request: Request) -> Decision:
    """AWS's decision for `request` under these identity-policy statements."""

    def applies(statement: Mapping) -> bool:
        return (
            _matches_action(statement, request.action)
            and _matches_resource(statement, request.resource)
            and _conditions_hold(statement.get("Condition") or {}, request.context)
        )

    def name(index: int, statement: Mapping) -> str:
        return str(statement.get("Sid") or f"statement {index}")

    for index, statement in enumerate(statements):
        if statement.get("Effect") == "Deny" and applies(statement):
            return Decision(False, name(index, statement), f"explicitly denied by {name(index, statement)}")
    for index, statement in enumerate(statements):
        if statement.get("Effect") == "Allow" and applies(statement):
            return Decision(True, name(index, statement), f"allowed by {name(index, statement)}")
    return Decision(False, None, "no statement allows it")


def denied(statements: list[Mapping], requests: Iterable[Request]) -> list[str]:
    """One line per request the statements do not allow, naming the call and the grant it needs (sorted, unique)."""
    lines = set()
    for request in requests:
        decision = evaluate(statements, request)
        if not decision.allowed:
            context = f" with {dict(request.context)}" if request.context else ""
            lines.add(
                f"{request.call or request.action}: needs {request.action} on {request.resource}{context} ({decision.reason})"
            )
    return sorted(lines)
