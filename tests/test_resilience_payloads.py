"""Fuzzed invocation payloads: the handler never raises, and every refusal names each bad field.

The expected outcome of a payload is computed here by an independent reading of the payload
contract (`expected_bad_fields`), not by calling the validator under test.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from conftest import LAMBDA_ENV, FakeContext
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.slow

ALLOWED = ("client_id", "period_days", "force_regenerate", "target_date", "mode")
MODES = ("publish", "smoke", "drill", "bench")
CLIENT_ID = re.compile(r"[a-z0-9_]{1,64}")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FIELD_KEY_CHARS = 80  # the validator names an unknown key by its first 80 characters

# --- the contract, read independently -----------------------------------------------------------


def is_calendar_date(text: str) -> bool:
    if not ISO_DATE.fullmatch(text):
        return False
    try:
        date(int(text[:4]), int(text[5:7]), int(text[8:10]))
    except ValueError:
        return False
    return True


def expected_bad_fields(event) -> set[str]:
    """The fields a refusal must name; empty when the payload is valid."""
    if not isinstance(event, dict):
        return {"payload"}
    bad = {key[:FIELD_KEY_CHARS] for key in event if key not in ALLOWED}
    client_id = event.get("client_id")
    if not (isinstance(client_id, str) and CLIENT_ID.fullmatch(client_id)):
        bad.add("client_id")
    period = event.get("period_days")
    if period is not None and not (type(period) is int and 1 <= period <= 90):
        bad.add("period_days")
    if "force_regenerate" in event and type(event["force_regenerate"]) is not bool:
        bad.add("force_regenerate")
    target = event.get("target_date")
    if target is not None and not (isinstance(target, str) and is_calendar_date(target)):
        bad.add("target_date")
    elif target is not None and date.fromisoformat(target) > datetime.now(UTC).date():
        bad.add("target_date")  # an edition cannot be dated after today
    if "mode" in event and event["mode"] not in MODES:
        bad.add("mode")
    return bad


def expected_invocation(event: dict) -> tuple:
    target = event.get("target_date")
    return (
        event["client_id"],
        event.get("period_days"),
        event.get("force_regenerate", False),
        date.fromisoformat(target) if target else None,
        event.get("mode", "publish"),
    )


# --- generators ---------------------------------------------------------------------------------

DATE_LIKE = [
    "2026-02-30",
    "2026-13-01",
    "2026-00-10",
    "2026-1-5",
    "2026/01/15",
    "15-01-2026",
    "20260115",
    "2026-W03-4",
    "2026-015",
    "2026-01-15T00:00:00",
    " 2026-01-15",
    "2026-01-15\n",
    "0000-01-01",
    "２０２６-01-15",
    "2026-01-15Z",
    "yesterday",
    "",
]
CLIENT_ID_LIKE = [
    "LAI_weekly_v3",
    "lai weekly",
    "lai-weekly",
    "",
    "a" * 65,
    "lai_weekly_v3\n",
    "lai_weekly_v3 ",
    "élan",
    "../clients/x",
    "clients/lai_weekly_v3.yaml",
    "lai_weekly_v3\x00",
    "ｌａｉ",
]
INT_LIKE = [0, 1, 90, 91, -1, 7.0, 1e3, True, False, "7", "true", "false", 2**63, -(2**63)]

client_ids = st.from_regex(CLIENT_ID, fullmatch=True)
valid_payloads = st.fixed_dictionaries(
    {"client_id": client_ids},
    optional={
        "period_days": st.none() | st.integers(1, 90),
        "force_regenerate": st.booleans(),
        "target_date": st.none() | st.dates(max_value=date.today() - timedelta(days=1)).map(date.isoformat),
        "mode": st.sampled_from(MODES),
    },
)
huge_strings = st.integers(10_000, 300_000).map(lambda n: "é" * n)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(DATE_LIKE + CLIENT_ID_LIKE + INT_LIKE + ["9999-12-31", "smoke", "publish", "SMOKE"])
    | huge_strings
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
keys = (
    st.sampled_from(ALLOWED)
    | st.text(max_size=24)
    | st.sampled_from(["clientId", "CLIENT_ID", " client_id", "client_id\x00", "period", "dryRun", "__proto__"])
    | st.integers(FIELD_KEY_CHARS + 1, 2_000).map(lambda n: "k" * n)
)
hostile_dicts = st.dictionaries(keys, json_values, max_size=6)
# A valid payload with some fields overridden or added: the realistic mistake.
tampered_payloads = st.tuples(valid_payloads, hostile_dicts).map(lambda pair: {**pair[0], **pair[1]})
many_unknown_keys = st.integers(50, 1_500).map(
    lambda n: {"client_id": "lai_weekly_v3", **{f"extra_{i}": i for i in range(n)}}
)
non_objects = scalars | st.lists(json_values, max_size=5)
payloads = st.one_of(valid_payloads, tampered_payloads, hostile_dicts, many_unknown_keys, non_objects)


# --- the handler with its AWS edge fenced off ---------------------------------------------------


class Gate:
    """Stands in for the AWS container: refuses to be built unless the payload is valid."""

    def __init__(self, settings):
        self.settings = settings
        self.open = False
        self.invocations: list = []

    def container(self):
        if not self.open:
            raise AssertionError("a payload the validator must refuse reached the AWS container")
        return {"settings": self.settings, "s3": None}

    def run_newsletter(self, invocation, settings, edges, budget, function_version="local"):
        self.invocations.append(invocation)
        return {"status": "ok", "client_id": invocation.client_id}


@pytest.fixture(scope="module")
def fenced():
    import handler
    from vectora_core import pipeline, store
    from vectora_core.settings import load_settings

    gate = Gate(load_settings(dict(LAMBDA_ENV, LLM_BACKEND="offline")))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(handler, "_container", gate.container)
        patch.setattr(pipeline, "run_newsletter", gate.run_newsletter)
        patch.setattr(store, "load_pricing", lambda s3, bucket: {})
        yield handler, gate


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(event=payloads)
@example(event={"client_id": "lai_weekly_v3", "period_days": True})
@example(event={"client_id": "lai_weekly_v3", "force_regenerate": 1})
@example(event={"client_id": "lai_weekly_v3", "period_days": 7.0})
@example(event={"client_id": "lai_weekly_v3\n"})
@example(event={"client_id": "lai_weekly_v3", "target_date": "2026-W03-4"})
@example(event={"client_id": None, "force_regenerate": None})
@example(event={"client_id": "lai_weekly_v3", "target_date": "9999-12-31"})
@example(event={"client_id": "lai_weekly_v3", "mode": "SMOKE"})
@example(event={})
@example(event=None)
@example(event='{"client_id": "lai_weekly_v3"}')
def test_handler_answers_every_payload_by_the_contract(fenced, event):
    handler, gate = fenced
    bad = expected_bad_fields(event)
    gate.open, gate.invocations = not bad, []

    response = handler.lambda_handler(event, FakeContext())

    if bad:
        assert response["status"] == "error"
        assert response["error"]["type"] == "ValidationError"
        assert set(response["error"]["fields"]) == bad
        assert all(isinstance(reason, str) and reason for reason in response["error"]["fields"].values())
    else:
        assert response["status"] == "ok"
        [invocation] = gate.invocations
        got = (
            invocation.client_id,
            invocation.period_days,
            invocation.force_regenerate,
            invocation.target_date,
            invocation.mode,
        )
        assert got == expected_invocation(event)


@settings(max_examples=300, deadline=None)
@given(event=valid_payloads)
def test_parse_payload_accepts_every_valid_combination(event):
    from vectora_core.validation import parse_payload

    invocation = parse_payload(event, today=datetime.now(UTC).date())
    got = (
        invocation.client_id,
        invocation.period_days,
        invocation.force_regenerate,
        invocation.target_date,
        invocation.mode,
    )
    assert got == expected_invocation(event)
