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
    assert parse_payload({"client_id": "a", "target_date": "2026-11-26"}, today=date(2026, 11, 26)).target_date == date(2026, 11, 26)
