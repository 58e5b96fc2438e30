from datetime import date

import pytest

from vectora_core.validation import PayloadError, parse_payload


def test_p1_payload_is_accepted():
    inv = parse_payload({"client_id": "lai_weekly_v3", "period_days": 7, "force_regenerate": True})
    assert (inv.client_id, inv.period_days, inv.force_regenerate) == ("lai_weekly_v3", 7, True)


def test_pre_p1_payload_with_only_client_id_uses_defaults():
    inv = parse_payload({"client_id": "lai_weekly_v3"})
    assert inv.period_days is None and inv.force_regenerate is False and inv.target_date is None


def test_target_date_is_parsed():
    assert parse_payload({"client_id": "a", "target_date": "2026-11-20"}).target_date == date(2026, 11, 20)


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "client_id"),
        ({"client_id": "LAI-Weekly"}, "client_id"),
        ({"client_id": "a" * 65}, "client_id"),
        ({"client_id": "a", "period_days": 0}, "period_days"),
        ({"client_id": "a", "period_days": 91}, "period_days"),
        ({"client_id": "a", "period_days": "7"}, "period_days"),
        ({"client_id": "a", "period_days": True}, "period_days"),
        ({"client_id": "a", "force_regenerate": "yes"}, "force_regenerate"),
        ({"client_id": "a", "target_date": "20/11/2026"}, "target_date"),
        ({"client_id": "a", "dry_run": True}, "dry_run"),
        ({"client_id": "a", "mode": "test"}, "mode"),
        ({"client_id": "a", "mode": 1}, "mode"),
    ],
)
def test_bad_field_is_named(payload, field):
    with pytest.raises(PayloadError) as err:
        parse_payload(payload)
    assert field in err.value.fields


def test_every_bad_field_is_named_at_once():
    with pytest.raises(PayloadError) as err:
        parse_payload({"client_id": 3, "period_days": -1, "force_regenerate": 1})
    assert set(err.value.fields) == {"client_id", "period_days", "force_regenerate"}


def test_non_object_payload_is_refused():
    with pytest.raises(PayloadError) as err:
        parse_payload(["lai_weekly_v3"])
    assert "payload" in err.value.fields


def test_mode_defaults_to_publish():
    invocation = parse_payload({"client_id": "a"})
    assert invocation.mode == "publish" and invocation.publishes


def test_smoke_mode_is_a_check_run():
    invocation = parse_payload({"client_id": "a", "mode": "smoke"})
    assert invocation.mode == "smoke" and not invocation.publishes


def test_target_date_after_today_is_refused():
    with pytest.raises(PayloadError) as err:
        parse_payload({"client_id": "a", "target_date": "9999-12-31"}, today=date(2026, 11, 26))
    assert "after today" in err.value.fields["target_date"]


def test_target_date_of_today_is_accepted():
    assert parse_payload({"client_id": "a", "target_date": "2026-11-26"}, today=date(2026, 11, 26)).target_date == date(
        2026, 11, 26
    )


# --- exact messages and bounds, so a loosened check is noticed ---------------------------------------------


def fields_of(payload, today=None) -> dict[str, str]:
    with pytest.raises(PayloadError) as err:
        parse_payload(payload, today=today)
    return err.value.fields


def test_each_bad_field_has_its_own_message():
    assert fields_of(
        {"client_id": "Bad", "period_days": 0, "force_regenerate": 1, "target_date": "x", "mode": "m", "colour": 1}
    ) == {
        "client_id": "must match [a-z0-9_]{1,64}",
        "period_days": "must be an integer from 1 to 90",
        "force_regenerate": "must be true or false",
        "target_date": "must be an ISO date YYYY-MM-DD",
        "mode": "must be one of publish, smoke, drill, bench",
        "colour": "unknown field (allowed: client_id, period_days, force_regenerate, target_date, mode)",
    }


def test_missing_client_id_is_required():
    assert fields_of({}) == {"client_id": "is required"}


def test_non_object_payload_names_its_type():
    assert fields_of("lai") == {"payload": "must be a JSON object, got str"}


def test_error_message_lists_fields_in_order():
    with pytest.raises(PayloadError, match=r"^invalid payload: client_id: is required; zz: unknown field"):
        parse_payload({"zz": 1})


def test_a_long_unknown_key_is_cut_to_80_characters():
    assert list(fields_of({"client_id": "a", "k" * 200: 1})) == ["k" * 80]


@pytest.mark.parametrize("period", [1, 90])
def test_period_bounds_are_inclusive(period):
    assert parse_payload({"client_id": "a", "period_days": period}).period_days == period


def test_client_id_of_64_characters_is_accepted():
    assert parse_payload({"client_id": "a_1" + "b" * 61}).client_id == "a_1" + "b" * 61


@pytest.mark.parametrize("mode", ["publish", "smoke", "drill", "bench"])
def test_every_mode_is_accepted_and_only_publish_publishes(mode):
    invocation = parse_payload({"client_id": "a", "mode": mode})
    assert invocation.mode == mode and invocation.publishes == (mode == "publish")


@pytest.mark.parametrize("raw", ["2026-W47-1", "20261120", "2026-02-30", 20261120])
def test_dates_other_than_a_real_calendar_date_are_refused(raw):
    assert fields_of({"client_id": "a", "target_date": raw}) == {"target_date": "must be an ISO date YYYY-MM-DD"}


def test_a_date_after_today_names_today():
    assert fields_of({"client_id": "a", "target_date": "2026-11-27"}, today=date(2026, 11, 26)) == {
        "target_date": "must not be after today (2026-11-26 UTC)"
    }


def test_without_today_any_valid_date_is_accepted():
    assert parse_payload({"client_id": "a", "target_date": "2999-01-01"}).target_date == date(2999, 1, 1)


def test_explicit_false_and_absent_force_are_the_same():
    assert parse_payload({"client_id": "a", "force_regenerate": False}) == parse_payload({"client_id": "a"})
