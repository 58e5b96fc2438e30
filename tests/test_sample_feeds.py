"""The sample LAI corpus and the loopback server that serves it."""

from __future__ import annotations

import calendar
import html
import http.client
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
import yaml

from toolkit.local.sample_feeds import (
    ATOM_CONTENT_TYPE,
    CORPUS_DIR,
    RSS_CONTENT_TYPE,
    SampleFeedServer,
    UnknownFeedError,
    render,
    render_feed,
    resolve_dates,
    source_ids,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 3, 10)
MALFORMED = "alkermes_press"
LABELS = yaml.safe_load((CORPUS_DIR / "labels.yaml").read_text(encoding="utf-8"))


def _published(entry) -> datetime:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC)


def _entries(today: date = TODAY) -> dict[str, list]:
    return {s: feedparser.parse(render_feed(s, today)).entries for s in source_ids()}


@pytest.fixture(scope="module")
def parsed_corpus():
    return _entries()


@pytest.fixture
def server():
    with SampleFeedServer(today=TODAY) as running:
        yield running


def _get(url: str, headers: dict[str, str] | None = None, method: str = "GET"):
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


# --- placeholders and dates ---------------------------------------------------------------------


@pytest.mark.parametrize("source_id", source_ids())
def test_every_placeholder_is_resolved(source_id):
    assert b"{{" not in render_feed(source_id, TODAY)


@pytest.mark.parametrize("today", [date(2026, 3, 10), date(2027, 1, 1)])
def test_item_dates_follow_the_given_today(today):
    first = feedparser.parse(render_feed("medincell_press", today)).entries[0]
    # the first MedinCell item is written as {{date:-2@13:05}}
    day = today - timedelta(days=2)
    assert _published(first) == datetime(day.year, day.month, day.day, 13, 5, tzinfo=UTC)


def test_rss_placeholder_without_zone_renders_gmt():
    text, _ = resolve_dates("{{date:-3@14:05}}", TODAY)
    assert text == "Sat, 07 Mar 2026 14:05:00 GMT"


def test_rss_placeholder_with_zone_keeps_local_time_and_offset():
    text, newest = resolve_dates("{{date:-1@20:05-0500}}", TODAY)
    assert text == "Mon, 09 Mar 2026 20:05:00 -0500"
    assert newest == datetime(2026, 3, 10, 1, 5, tzinfo=UTC)


def test_isodate_placeholder_renders_rfc3339():
    text, _ = resolve_dates("{{isodate:-3@14:05}}", TODAY)
    assert text == "2026-03-07T14:05:00Z"


def test_placeholder_without_time_defaults_to_nine_utc():
    text, _ = resolve_dates("{{isodate:0}}", TODAY)
    assert text == "2026-03-10T09:00:00Z"


def test_unknown_placeholder_is_rejected():
    with pytest.raises(ValueError, match="unknown placeholder"):
        resolve_dates("<pubDate>{{when:-1}}</pubDate>", TODAY)


def test_dates_later_than_now_move_back_to_the_current_hour():
    now = datetime(2026, 3, 10, 0, 30, tzinfo=UTC)
    text, newest = resolve_dates("{{isodate:0@01:10}} {{isodate:0@00:20}}", TODAY, now=now)
    assert text == "2026-03-10T00:00:00Z 2026-03-10T00:20:00Z"
    assert newest == datetime(2026, 3, 10, 0, 20, tzinfo=UTC)


def test_no_item_is_dated_after_the_end_of_today(parsed_corpus):
    end_of_today = datetime(2026, 3, 11, tzinfo=UTC)
    assert all(_published(e) < end_of_today for entries in parsed_corpus.values() for e in entries)


def test_most_items_fall_in_the_last_seven_days_and_some_before(parsed_corpus):
    window_start = datetime(2026, 3, 3, tzinfo=UTC)
    dates = [_published(e) for entries in parsed_corpus.values() for e in entries]
    inside = sum(d >= window_start for d in dates)
    assert inside >= 0.7 * len(dates)
    assert len(dates) - inside >= 8
    assert min(dates) >= datetime(2026, 2, 8, tzinfo=UTC)  # nothing older than 30 days


def test_items_within_the_window_have_varied_hours(parsed_corpus):
    hours = {_published(e).hour for entries in parsed_corpus.values() for e in entries}
    assert len(hours) >= 12


# --- corpus shape -------------------------------------------------------------------------------


@pytest.mark.parametrize("source_id", source_ids())
def test_feedparser_flags_only_the_malformed_feed_as_bozo(source_id):
    parsed = feedparser.parse(render_feed(source_id, TODAY))
    assert bool(parsed.bozo) == (source_id == MALFORMED)
    assert len(parsed.entries) >= 1


def test_malformed_feed_still_yields_its_complete_items():
    parsed = feedparser.parse(render_feed(MALFORMED, TODAY))
    assert len(parsed.entries) >= 5
    assert all(e.get("summary") for e in parsed.entries[:-1])


def test_corpus_holds_at_least_60_entries_over_at_least_6_sources(parsed_corpus):
    assert sum(len(entries) for entries in parsed_corpus.values()) >= 60
    assert sum(1 for entries in parsed_corpus.values() if entries) >= 6


def test_labels_list_every_item_in_feed_order(parsed_corpus):
    assert set(LABELS) == set(parsed_corpus)
    for source_id, entries in parsed_corpus.items():
        assert [html.unescape(e.title) for e in entries] == [label["title"] for label in LABELS[source_id]]


def test_one_story_is_told_by_three_sources():
    stories: dict[str, set[str]] = {}
    for source_id, labels in LABELS.items():
        for label in labels:
            if label.get("story"):
                stories.setdefault(label["story"], set()).add(source_id)
    assert {"medincell_press", "fierce_pharma", "fda_press"} <= stories["olanzapine_lai_fda_approval"]


def test_every_story_id_spans_at_least_two_sources():
    sources_per_story: dict[str, set[str]] = {}
    for source_id, labels in LABELS.items():
        for label in labels:
            if label.get("story"):
                sources_per_story.setdefault(label["story"], set()).add(source_id)
    assert sources_per_story and all(len(sources) >= 2 for sources in sources_per_story.values())


def test_noise_is_a_minority_of_the_corpus():
    flags = [label["noise"] for labels in LABELS.values() for label in labels]
    assert 0.1 <= sum(flags) / len(flags) <= 0.25


def test_one_summary_carries_a_script_tag():
    corpus = b"".join(render_feed(s, TODAY) for s in source_ids())
    assert corpus.count(b"<script>alert(1)</script>") == 1


def test_trade_press_summaries_carry_html_markup(parsed_corpus):
    summaries = " ".join(e.get("summary", "") for e in parsed_corpus["fierce_pharma"])
    assert all(tag in summaries for tag in ("<p>", "<a ", "<img "))


def test_some_links_carry_tracking_params_and_some_fragments(parsed_corpus):
    links = [e.link for entries in parsed_corpus.values() for e in entries]
    assert sum("utm_" in urlsplit(link).query for link in links) >= 5
    assert sum(bool(urlsplit(link).fragment) for link in links) >= 3


def test_entry_links_are_unique_https_urls(parsed_corpus):
    links = [e.link for entries in parsed_corpus.values() for e in entries]
    assert all(link.startswith("https://") for link in links)
    assert len(set(links)) == len(links)


def test_corpus_has_one_atom_feed_and_the_rest_rss():
    kinds = Counter(render(s, TODAY).content_type for s in source_ids())
    assert kinds[ATOM_CONTENT_TYPE] == 1
    assert kinds[RSS_CONTENT_TYPE] == len(source_ids()) - 1


def test_unknown_source_id_raises():
    with pytest.raises(UnknownFeedError):
        render_feed("../config/clients/lai_weekly_v3", TODAY)


# --- server -------------------------------------------------------------------------------------


def test_server_serves_a_feed_with_rss_content_type_and_validators(server):
    status, headers, body = _get(server.feed_url("medincell_press"))
    assert status == 200
    assert headers["Content-Type"] == RSS_CONTENT_TYPE
    assert headers["ETag"].startswith('"') and headers["ETag"].endswith('"')
    assert headers["Last-Modified"].endswith("GMT")
    assert body == render_feed("medincell_press", TODAY)


def test_server_serves_the_atom_feed_as_atom(server):
    status, headers, _ = _get(server.feed_url("endpoints_news"))
    assert (status, headers["Content-Type"]) == (200, ATOM_CONTENT_TYPE)


def test_matching_etag_gets_304_without_body(server):
    _, headers, _ = _get(server.feed_url("teva_press"))
    status, _, body = _get(server.feed_url("teva_press"), {"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b"")


def test_weak_form_of_the_etag_also_matches(server):
    _, headers, _ = _get(server.feed_url("teva_press"))
    status, _, _ = _get(server.feed_url("teva_press"), {"If-None-Match": "W/" + headers["ETag"]})
    assert status == 304


def test_stale_etag_gets_the_full_feed(server):
    status, _, body = _get(server.feed_url("teva_press"), {"If-None-Match": '"0123456789abcdef"'})
    assert status == 200 and body


def test_etag_changes_when_today_changes():
    assert render("teva_press", TODAY).etag != render("teva_press", TODAY + timedelta(days=1)).etag


def test_if_modified_since_at_last_modified_gets_304(server):
    _, headers, _ = _get(server.feed_url("fda_press"))
    status, _, _ = _get(server.feed_url("fda_press"), {"If-Modified-Since": headers["Last-Modified"]})
    assert status == 304


def test_if_modified_since_before_last_modified_gets_the_feed(server):
    earlier = format_datetime(render("fda_press", TODAY).last_modified - timedelta(seconds=1), usegmt=True)
    status, _, body = _get(server.feed_url("fda_press"), {"If-Modified-Since": earlier})
    assert status == 200 and body


def test_last_modified_is_the_newest_item_date():
    newest = max(_published(e) for e in feedparser.parse(render_feed("camurus_press", TODAY)).entries)
    assert render("camurus_press", TODAY).last_modified == newest


def test_unknown_feed_gets_404(server):
    status, _, _ = _get(f"{server.base_url}/feeds/no_such_source.xml")
    assert status == 404


def test_path_outside_the_corpus_gets_404(server):
    connection = http.client.HTTPConnection(server.host, server.port, timeout=5)
    connection.request("GET", "/feeds/../config/clients/lai_weekly_v3.yaml")
    assert connection.getresponse().status == 404
    connection.close()


def test_head_returns_headers_without_body(server):
    status, headers, body = _get(server.feed_url("camurus_press"), method="HEAD")
    assert (status, body) == (200, b"")
    assert int(headers["Content-Length"]) == len(render_feed("camurus_press", TODAY))


def test_request_log_records_path_and_status(server):
    _get(server.feed_url("fierce_pharma") + "?utm_source=test")
    _get(f"{server.base_url}/feeds/missing.xml")
    assert server.requests == [("/feeds/fierce_pharma.xml?utm_source=test", 200), ("/feeds/missing.xml", 404)]


def test_feed_url_uses_the_bound_ephemeral_port(server):
    assert server.port != 0
    assert server.feed_url("fda_press") == f"http://127.0.0.1:{server.port}/feeds/fda_press.xml"


def test_server_without_fixed_today_serves_current_utc_dates():
    with SampleFeedServer() as running:
        _, _, body = _get(running.feed_url("medincell_press"))
    first = feedparser.parse(body).entries[0]  # written as {{date:-2@13:05}}
    assert _published(first).date() == datetime.now(UTC).date() - timedelta(days=2)


def test_source_ids_lists_one_id_per_feed_file():
    assert source_ids() == sorted(p.stem for p in CORPUS_DIR.glob("*.xml"))


def _read_line_within(stream, seconds: float) -> str:
    """One line from a subprocess pipe, or a test failure if none comes in time (never a hung suite)."""
    import selectors

    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout=seconds):
            pytest.fail(f"no output from the sample-feed server within {seconds} s")
    return stream.readline()


@pytest.mark.slow
def test_cli_serves_until_sigterm():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "toolkit.local.sample_feeds",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--today",
            "2026-03-10",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = _read_line_within(process.stdout, seconds=15)
        base_url = banner.split(" at ")[1].split("/feeds/")[0]
        status, _, _ = _get(f"{base_url}/feeds/fda_press.xml")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert status == 200
        assert process.stderr.read() == ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
