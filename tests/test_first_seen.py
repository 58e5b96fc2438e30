"""First-seen dates of undated items: an undated item is new once, not at every fetch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from vectora_core.first_seen import apply_first_seen
from vectora_core.models import RawItem

NOW = datetime(2026, 11, 26, 6, tzinfo=UTC)


def _raw(item_id="a", dated=True, published=NOW - timedelta(days=1)):
    return RawItem(item_id, "fierce_pharma", f"https://example.com/{item_id}", "Title", "Text", published, "h", dated)


def test_undated_item_seen_for_the_first_time_takes_the_fetch_time():
    items, remembered = apply_first_seen([_raw(dated=False, published=NOW)], {}, NOW)
    assert items[0].published == NOW and remembered == {"a": NOW.isoformat()}


def test_undated_item_keeps_the_date_it_was_first_seen():
    first = NOW - timedelta(days=9)
    items, remembered = apply_first_seen([_raw(dated=False, published=NOW)], {"a": first.isoformat()}, NOW)
    assert items[0].published == first and remembered == {"a": first.isoformat()}


def test_dated_item_keeps_its_own_date():
    dated = _raw(published=NOW - timedelta(days=2))
    items, remembered = apply_first_seen([dated], {"a": (NOW - timedelta(days=9)).isoformat()}, NOW)
    assert items == [dated] and remembered == {}


def test_an_unreadable_remembered_date_counts_as_first_seen_now():
    items, remembered = apply_first_seen([_raw(dated=False, published=NOW)], {"a": "last tuesday"}, NOW)
    assert items[0].published == NOW and remembered == {"a": NOW.isoformat()}


def test_each_undated_item_keeps_its_own_first_seen_date_and_order():
    first = NOW - timedelta(days=3)
    dated = _raw("d", published=NOW - timedelta(days=2))
    items, remembered = apply_first_seen(
        [_raw("a", dated=False), dated, _raw("b", dated=False)], {"b": first.isoformat(), "gone": "x"}, NOW
    )
    assert [i.item_id for i in items] == ["a", "d", "b"]
    assert [i.published for i in items] == [NOW, dated.published, first]
    assert remembered == {"a": NOW.isoformat(), "b": first.isoformat()}
