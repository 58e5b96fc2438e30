"""Evaluating an IAM policy the way IAM does, as far as the execution-policy checks of test_terraform_emulator.py need:
Allow and Deny statements, `*`/`?` wildcards in actions and resources, StringEquals and StringLike conditions (any
other operator fails closed), and the action, resource ARN and condition context of each recorded engine call."""

from __future__ import annotations

import fnmatch

import pytest


def statement_set(document: dict) -> dict[str, dict]:
    """Statements by Sid, with single values and lists made comparable."""

    def as_sorted_list(value):
        return sorted(value) if isinstance(value, list) else [value]

    statements = {}
    for statement in document["Statement"]:
        conditions = {
            test: {key: as_sorted_list(value) for key, value in pairs.items()}
            for test, pairs in statement.get("Condition", {}).items()
        }
        statements[statement["Sid"]] = {
            "Effect": statement["Effect"],
            "Action": as_sorted_list(statement["Action"]),
            "Resource": as_sorted_list(statement["Resource"]),
            "Condition": conditions,
        }
    return statements


GEO_PROFILE_PREFIXES = ("eu.", "us.", "apac.", "global.")


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def iam_request(call: dict, account: str) -> tuple[str, str, dict]:
    """(action, resource ARN, condition context) IAM evaluates for one recorded API call."""
    service, operation, params = call["service"], call["operation"], call["params"]
    if service == "s3":
        bucket = params["Bucket"]
        if operation in ("ListObjectsV2", "ListObjects"):
            return "s3:ListBucket", f"arn:aws:s3:::{bucket}", {"s3:prefix": params.get("Prefix", "")}
        action = {
            "GetObject": "s3:GetObject",
            "HeadObject": "s3:GetObject",
            "PutObject": "s3:PutObject",
            "DeleteObject": "s3:DeleteObject",
        }.get(operation)
        if action:
            return action, f"arn:aws:s3:::{bucket}/{params['Key']}", {}
    if service == "bedrock-runtime" and operation in ("InvokeModel", "InvokeModelWithResponseStream"):
        model_id, region = params["modelId"], call["region"]
        if model_id.startswith(GEO_PROFILE_PREFIXES):
            return "bedrock:InvokeModel", f"arn:aws:bedrock:{region}:{account}:inference-profile/{model_id}", {}
        return "bedrock:InvokeModel", f"arn:aws:bedrock:{region}::foundation-model/{model_id}", {}
    pytest.fail(f"no IAM mapping for {service}:{operation}: add it to iam_request so the policy check covers it")


def conditions_hold(conditions: dict, context: dict) -> bool:
    for test, pairs in conditions.items():
        for key, allowed in pairs.items():
            if key not in context:
                return False
            value, patterns = context[key], as_list(allowed)
            if test == "StringEquals" and value not in patterns:
                return False
            if test == "StringLike" and not any(fnmatch.fnmatchcase(value, p) for p in patterns):
                return False
            if test not in ("StringEquals", "StringLike"):
                return False  # an operator this check does not model: fail closed
    return True


def allowing_statement(statements: list[dict], action: str, resource: str, context: dict) -> str | None:
    """Sid of the Allow statement that lets the request through, or None (denied); IAM wildcards are * and ?."""

    def matches(statement):
        return (
            any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in as_list(statement["Action"]))
            and any(fnmatch.fnmatchcase(resource, r) for r in as_list(statement["Resource"]))
            and conditions_hold(statement.get("Condition", {}), context)
        )

    if any(s["Effect"] == "Deny" and matches(s) for s in statements):
        return None
    return next((s.get("Sid", "?") for s in statements if s["Effect"] == "Allow" and matches(s)), None)
