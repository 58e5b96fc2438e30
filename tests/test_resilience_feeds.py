"""Hostile and broken feeds: each bad source is skipped with a one-line reason, and the run completes.

One handler run (offline LLM, in-process S3) reads a client whose sources are one good sample feed
and a loopback server misbehaving in every way a feed host can; the tests read that run's result.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import LAMBDA_ENV, REGION, FakeContext, read_object
from lambda_testkit import edit_client_config, loopback_http_server

pytestmark = pytest.mark.slow

CONFIG = LAMBDA_ENV["CONFIG_BUCKET"]
DATA = LAMBDA_ENV["DATA_BUCKET"]
NEWSLETTERS = LAMBDA_ENV["NEWSLETTERS_BUCKET"]
GOOD_SOURCE = "fda_press"
FETCH_TIMEOUT_S = 4  # FETCH_TIMEOUT_SECONDS for the run: room for a loaded CI machine, short enough to wait for
STALL_S = 12  # how long the slow routes would keep the client waiting
ACCENTED = "Médicament à libération prolongée: dépôt injectable approuvé"


def rss(titles: list[str], encoding: str = "utf-8") -> str:
    when = format_datetime(datetime.now(UTC) - timedelta(days=1), usegmt=True)
    items = "".join(
        f"<item><title>{title}</title><link>https://news.example.com/{encoding}/{i}</link>"
        f"<description>{title}, details.</description><pubDate>{when}</pubDate></item>"
        for i, title in enumerate(titles)
    )
    return (
        f"<?xml version='1.0' encoding='{encoding}'?>"
        f"<rss version='2.0'><channel><title>Hostile</title>{items}</channel></rss>"
    )


TRUNCATED = rss(["Complete item one", "Complete item two", "Item cut in the middle"]).encode()
TRUNCATED = TRUNCATED[: TRUNCATED.index(b"Item cut in the middle") + 10]

LAUGHS = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">' + LAUGHS + "]>"
    '<rss version="2.0"><channel><title>&lol9;</title><item><title>Laughs &lol9;</title>'
    "<link>https://news.example.com/laughs</link><description>&lol9;</description></item></channel></rss>"
).encode()

HTML_PAGE = b"<!DOCTYPE html><html><head><title>Newsroom</title></head><body><h1>We moved our news</h1></body></html>"


class HostileFeeds(BaseHTTPRequestHandler):
    """Every way a feed host can misbehave, one route each."""

    def log_message(self, *args):
        pass

    def _send(self, status: int, body: bytes = b"", content_type: str = "application/rss+xml", **headers: str):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        stop = self.server.stop
        route = self.path
        if route == "/truncated.xml":
            self._send(200, TRUNCATED)
        elif route == "/declared-latin1.xml":
            # Header says ISO-8859-1, the bytes are UTF-8.
            self._send(200, rss([ACCENTED]).encode("utf-8"), "application/rss+xml; charset=ISO-8859-1")
        elif route == "/declared-utf8.xml":
            # Header and prolog say UTF-8, the bytes are Latin-1.
            self._send(200, rss([ACCENTED]).encode("latin-1"), "application/rss+xml; charset=utf-8")
        elif route == "/billion-laughs.xml":
            self._send(200, BILLION_LAUGHS)
        elif route == "/oversized.xml":
            # No Content-Length: the body streams until the client hangs up.
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            chunk = b"<!-- " + b"x" * 65_000 + b" -->"
            try:
                self.wfile.write(b"<?xml version='1.0'?><rss version='2.0'><channel>")
                # About 100 MB: past the 5 MB cap and past what loopback socket buffers can absorb,
                # so only a client that reads it all lets this loop finish.
                for _ in range(1_600):
                    self.wfile.write(chunk)
                self.server.oversized_completed = True
            except OSError:
                pass
        elif route == "/slow.xml":
            stop.wait(STALL_S)  # never answers within the timeout
            self._send(200, rss(["Too late"]).encode())
        elif route == "/trickle.xml":
            # Headers at once, then one byte at a time: each read is quick, the whole body never is.
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            try:
                for byte in rss(["Trickled"]).encode()[: int(STALL_S / 0.1)]:
                    if stop.wait(0.1):
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                self.server.trickle_completed = True
            except OSError:
                pass
        elif route == "/not-found.xml":
            self._send(404, b"gone", "text/plain")
        elif route == "/server-error.xml":
            self._send(500, b"<html>Internal error\nTraceback...</html>", "text/html")
        elif route == "/redirect-loop.xml":
            self._send(302, b"", "text/plain", Location="/redirect-loop.xml")
        elif route == "/html-page.xml":
            self._send(200, HTML_PAGE, "text/html; charset=utf-8")
        elif route == "/hang-up.xml":
            self.close_connection = True
            self.connection.shutdown(2)
        else:
            self._send(404, b"", "text/plain")


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients hanging up mid-body is what several routes provoke


# source id -> (route, where the source must end up, a word its reason must contain)
HOSTILE = {
    "truncated_xml": ("/truncated.xml", "warning", "malformed"),
    "utf8_body_latin1_declared": ("/declared-latin1.xml", "ok", ""),
    "latin1_body_utf8_declared": ("/declared-utf8.xml", "warning", "declared as utf-8"),
    "billion_laughs": ("/billion-laughs.xml", "warning", "malformed"),
    "oversized_body": ("/oversized.xml", "failed", "larger than the 5 MB cap"),
    "slow_server": ("/slow.xml", "failed", f"timed out after {FETCH_TIMEOUT_S} s"),
    "trickling_server": ("/trickle.xml", "failed", f"timed out after {FETCH_TIMEOUT_S} s"),
    "http_404": ("/not-found.xml", "failed", "HTTP 404 Not Found"),
    "http_500": ("/server-error.xml", "failed", "HTTP 500 Internal Server Error"),
    "redirect_loop": ("/redirect-loop.xml", "failed", "redirect"),
    "html_instead_of_feed": ("/html-page.xml", "failed", "unreadable feed"),
    "connection_dropped": ("/hang-up.xml", "failed", "closed connection"),
}


@pytest.fixture(scope="module")
def hostile_server():
    with loopback_http_server(HostileFeeds, HostileServer) as httpd:
        httpd.stop = threading.Event()
        httpd.oversized_completed = httpd.trickle_completed = False
        yield httpd
        httpd.stop.set()


@pytest.fixture(scope="module")
def hostile_run(hostile_server):
    """One handler run over the good sample feed and every hostile route: (response, s3 client)."""
    import boto3
    from moto import mock_aws

    import handler
    from toolkit.config_sync import sync_config
    from toolkit.local.sample_feeds import SampleFeedServer
    from vectora_core.llm import bedrock

    base = f"http://127.0.0.1:{hostile_server.server_address[1]}"
    environment = {
        **LAMBDA_ENV,
        "LLM_BACKEND": "offline",
        "FETCH_TIMEOUT_SECONDS": str(FETCH_TIMEOUT_S),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }
    sample_feeds = SampleFeedServer().start()
    with pytest.MonkeyPatch.context() as patch, mock_aws():
        for name, value in environment.items():
            patch.setenv(name, value)
        for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "FETCH_MAX_BYTES"):
            patch.delenv(name, raising=False)
        s3 = boto3.client("s3", region_name=REGION)
        for bucket in (CONFIG, DATA, NEWSLETTERS):
            s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        sync_config(s3, CONFIG, sample_feeds.base_url)
        hostile = [
            {"id": source_id, "name": source_id.replace("_", " "), "url": base + route, "kind": "trade_press"}
            for source_id, (route, _outcome, _reason) in HOSTILE.items()
        ]

        def good_and_hostile_sources(config):
            config["sources"] = [s for s in config["sources"] if s["id"] == GOOD_SOURCE] + hostile

        edit_client_config(s3, CONFIG, good_and_hostile_sources)
        handler._runtime.clear()
        bedrock.reset_clients()
        try:
            response = handler.lambda_handler({"client_id": "lai_weekly_v3", "period_days": 7}, FakeContext())
            yield response, s3
        finally:
            handler._runtime.clear()
            bedrock.reset_clients()
            sample_feeds.stop()


def outcome_of(response: dict, source_id: str) -> tuple[str, str]:
    failed = {f["source_id"]: f["reason"] for f in response["sources_failed"]}
    warned = {w["source_id"]: w["warning"] for w in response["source_warnings"]}
    if source_id in failed:
        return "failed", failed[source_id]
    if source_id in warned:
        return "warning", warned[source_id]
    return "ok", ""


def stored_items(s3, source_id: str) -> list[dict]:
    """The items the run remembered for a source (what a 304 next week would reuse): its shared feed record."""
    from vectora_core import shared_store, store

    (source,) = [s for s in store.load_client(s3, CONFIG, "lai_weekly_v3").sources if s.source_id == source_id]
    return shared_store.feed_record(s3, DATA, source.url)["items"]


def stored_titles(s3, source_id: str) -> list[str]:
    return [item["title"] for item in stored_items(s3, source_id)]


def test_run_completes_despite_every_hostile_source(hostile_run):
    response, _s3 = hostile_run
    assert response["status"] == "ok"
    assert response["counts"]["sources"] == 1 + len(HOSTILE)


def test_good_source_is_still_read_and_published(hostile_run):
    response, s3 = hostile_run
    assert outcome_of(response, GOOD_SOURCE) == ("ok", "")
    assert response["counts"]["selected"] > 0
    assert read_object(s3, NEWSLETTERS, response["s3"]["html"])


@pytest.mark.parametrize("source_id", sorted(HOSTILE))
def test_hostile_source_ends_where_expected_with_a_one_line_reason(hostile_run, source_id):
    _route, expected, reason_word = HOSTILE[source_id]
    outcome, reason = outcome_of(hostile_run[0], source_id)
    assert outcome == expected, reason
    assert reason_word in reason
    assert "\n" not in reason and len(reason) <= 300


def test_truncated_feed_keeps_the_items_before_the_cut(hostile_run):
    assert stored_titles(hostile_run[1], "truncated_xml") == ["Complete item one", "Complete item two"]


@pytest.mark.parametrize("source_id", ["utf8_body_latin1_declared", "latin1_body_utf8_declared"])
def test_wrongly_declared_encoding_still_yields_intact_accents(hostile_run, source_id):
    assert stored_titles(hostile_run[1], source_id) == [ACCENTED]


def test_entity_bomb_is_not_expanded(hostile_run):
    items = stored_items(hostile_run[1], "billion_laughs")
    remembered = json.dumps(items)
    assert items and len(remembered) < 10_000
    assert "lollol" not in remembered


def test_oversized_body_is_abandoned_at_the_cap(hostile_run, hostile_server):
    assert outcome_of(hostile_run[0], "oversized_body")[0] == "failed"
    assert hostile_server.oversized_completed is False


def test_trickling_server_is_hung_up_on_at_the_deadline(hostile_run, hostile_server):
    # Each byte arrives well within the socket timeout, so only a total deadline stops the read.
    assert outcome_of(hostile_run[0], "trickling_server")[0] == "failed"
    assert hostile_server.trickle_completed is False
