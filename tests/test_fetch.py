"""The feed fetcher against a loopback HTTP server with misbehaving routes."""

import time
from http.server import BaseHTTPRequestHandler

import pytest
from lambda_testkit import loopback_http_server

from vectora_core.ingest.fetch import FetchError, check_url_allowed, fetch_feed

FEED = b"<rss version='2.0'><channel><item><title>T</title><link>https://e.com/x</link></item></channel></rss>"


class Routes(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/feed":
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", '"v1"')
            self.send_header("Last-Modified", "Mon, 23 Nov 2026 10:00:00 GMT")
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            self.wfile.write(FEED)
        elif self.path == "/big":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"x" * 200_000)
        elif self.path == "/slow":
            time.sleep(1.5)
            self.send_response(200)
            self.end_headers()
        elif self.path.startswith("/loop"):
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.end_headers()
        elif self.path == "/error":
            self.send_response(500)
            self.end_headers()
        else:
            self.send_response(404)
            self.end_headers()


@pytest.fixture(scope="module")
def server():
    with loopback_http_server(Routes) as httpd:
        yield httpd.base_url


def fetch(url, **kw):
    return fetch_feed(
        url, timeout_s=kw.pop("timeout_s", 5), max_bytes=kw.pop("max_bytes", 100_000), allow_private=True, **kw
    )


def test_fetch_returns_body_and_validators(server):
    result = fetch(server + "/feed")
    assert result.status == 200 and result.body == FEED and result.etag == '"v1"'


def test_matching_etag_gives_not_modified(server):
    assert fetch(server + "/feed", etag='"v1"').not_modified


def test_body_over_cap_is_refused(server):
    with pytest.raises(FetchError, match="cap"):
        fetch(server + "/big", max_bytes=50_000)


def test_slow_server_times_out(server):
    with pytest.raises(FetchError, match="timed out"):
        fetch(server + "/slow", timeout_s=0.5)


def test_redirect_loop_is_reported(server):
    with pytest.raises(FetchError, match="redirect"):
        fetch(server + "/loop")


@pytest.mark.parametrize("path, message", [("/missing", "HTTP 404"), ("/error", "HTTP 500")])
def test_http_errors_are_reported(server, path, message):
    with pytest.raises(FetchError, match=message):
        fetch(server + path)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/feed", "gopher://x"])
def test_non_http_schemes_are_refused(url):
    with pytest.raises(FetchError, match="scheme"):
        check_url_allowed(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:8080/", "http://10.0.0.5/feed", "http://[::1]/"],
)
def test_private_and_metadata_addresses_are_refused_outside_local(url):
    with pytest.raises(FetchError, match="non-public"):
        check_url_allowed(url, allow_private=False)


def test_redirect_to_private_address_is_refused(server):
    # The loopback server itself is private: with the guard on, even the first request is refused.
    with pytest.raises(FetchError, match="non-public"):
        fetch_feed(server + "/feed", timeout_s=2, max_bytes=1000, allow_private=False)


def test_rebound_dns_is_caught_at_connect_time(server, monkeypatch):
    # The name check passed (as if DNS said "public"), but the connection lands on loopback.
    import vectora_core.ingest.fetch as fetch_module

    monkeypatch.setattr(fetch_module, "check_url_allowed", lambda url, allow_private: None)
    with pytest.raises(FetchError, match="connected to non-public address 127.0.0.1"):
        fetch_feed(server + "/feed", timeout_s=2, max_bytes=1000, allow_private=False)
