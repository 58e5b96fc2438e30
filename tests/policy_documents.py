"""Policy documents made comparable, for the checks that a role holds exactly the intended statements. Whether a
policy allows a call is decided by the one evaluator of the toolkit (toolkit/iam_policy.py), not here."""

from __future__ import annotations


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
