"""Runs delivered by the fleet's run queue: each SQS record is one client's run, and only failed ones are
reported back (batch item failures) to be delivered again and then kept in the dead-letter queue."""

from __future__ import annotations

import json

import pytest
from conftest import FakeContext

# The whole engine, run many times over (make test-fast leaves it out).
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _atomic_conditional_writes():
    """The in-process emulator's conditional writes as atomic as S3's (toolkit/local/emulator.py)."""
    from toolkit.local.emulator import make_conditional_writes_atomic

    make_conditional_writes_atomic()


def sqs_event(*bodies: str) -> dict:
    return {
        "Records": [
            {
                "messageId": f"m{n}",
                "receiptHandle": f"r{n}",
                "body": body,
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-3:123456789012:vectora-inbox-engine-local-runs",
            }
            for n, body in enumerate(bodies)
        ]
    }


def payload(client_id: str) -> str:
    return json.dumps({"client_id": client_id, "period_days": 7, "force_regenerate": False})


def test_each_record_is_one_clients_run_and_only_the_failed_ones_are_reported(handler_module, s3):
    from conftest import LAMBDA_ENV

    response = handler_module.lambda_handler(
        sqs_event(payload("lai_weekly_v3"), payload("no_such_client"), payload("glp1_obesity_weekly")), FakeContext()
    )
    assert response == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    published = s3.list_objects_v2(Bucket=LAMBDA_ENV["NEWSLETTERS_BUCKET"], Prefix="newsletters/")["Contents"]
    assert {o["Key"].split("/")[1] for o in published if o["Key"].endswith("manifest.json")} == {
        "lai_weekly_v3",
        "glp1_obesity_weekly",
    }


def test_an_unreadable_message_is_reported_failed_without_stopping_the_batch(handler_module, s3):
    response = handler_module.lambda_handler(sqs_event("{not json", payload("lai_weekly_v3")), FakeContext())
    assert response == {"batchItemFailures": [{"itemIdentifier": "m0"}]}


def test_a_run_that_crashes_fails_only_its_own_record(handler_module, s3, monkeypatch):
    import vectora_core.pipeline as pipeline

    real = pipeline.run_newsletter

    def crash_for_one(invocation, *args, **kwargs):
        if invocation.client_id == "glp1_obesity_weekly":
            raise ConnectionError("S3 unreachable")
        return real(invocation, *args, **kwargs)

    monkeypatch.setattr(pipeline, "run_newsletter", crash_for_one)
    response = handler_module.lambda_handler(
        sqs_event(payload("glp1_obesity_weekly"), payload("lai_weekly_v3")), FakeContext()
    )
    assert response == {"batchItemFailures": [{"itemIdentifier": "m0"}]}


def test_a_direct_invocation_is_still_a_run_response(handler_module, s3):
    result = handler_module.lambda_handler({"client_id": "lai_weekly_v3"}, FakeContext())
    assert result["status"] == "ok" and "batchItemFailures" not in result


def test_an_event_that_only_looks_like_a_batch_is_a_payload_error(handler_module, s3):
    result = handler_module.lambda_handler({"Records": [{"body": "{}"}]}, FakeContext())
    assert result["status"] == "error" and result["error"]["type"] == "ValidationError"
