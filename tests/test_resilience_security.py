"""Security of the feed edge: http(s) only, no requests to private or metadata addresses outside the
local environment (redirects included), no external XML entities, and feed markup always escaped.
"""

from __future__ import annotations

import json
import re
import socket
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler

import pytest
from conftest import LAMBDA_ENV, read_object
from lambda_testkit import edit_client_config, loopback_http_server

pytestmark = pytest.mark.slow

CONFIG = LAMBDA_ENV["CONFIG_BUCKET"]
DATA = LAMBDA_ENV["DATA_BUCKET"]
NEWSLETTERS = LAMBDA_ENV["NEWSLETTERS_BUCKET"]
PAYLOAD = {"client_id": "lai_weekly_v3", "period_days": 7}
METADATA_URL = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
# A name the fake network resolves to a public address and routes to the loopback server.
PUBLIC_HOST = "feeds.public-news.example"
PUBLIC_ADDRESS = "93.184.215.14"
SECRET = "TOP-SECRET-MARKER-7c1e"


def recent_date(days_ago: int = 1) -> str:
    return format_datetime(datetime.now(UTC) - timedelta(days=days_ago), usegmt=True)


XSS_FEED = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Hostile newsroom</title>
<item>
  <title><![CDATA[Teva wins FDA approval for UZEDY<script>alert(1)</script> &lt;script&gt;alert(2)&lt;/script&gt; "><b>x</b>]]></title>
  <link>https://news.example.com/uzedy)&lt;img src=x onerror=alert(8)&gt;("?ref=rss&amp;q="&gt;&lt;script&gt;alert(9)&lt;/script&gt;</link>
  <description><![CDATA[<p>Teva Pharmaceuticals announced that the U.S. FDA approved UZEDY (risperidone) extended-release
  injectable suspension, a long-acting injectable for adults with schizophrenia.</p>
  <img src=x onerror=alert(3)><a href="javascript:alert(4)">Read more</a> &lt;img src=x onerror=alert(5)&gt;
  [more](javascript:alert(6)) "><svg onload=alert(7)> <iframe src="javascript:alert(11)"></iframe>]]></description>
  <pubDate>{recent_date(1)}</pubDate>
</item>
<item>
  <title>MedinCell olanzapine long-acting injectable approved by FDA</title>
  <link>javascript:alert(10)</link>
  <description>Teva and MedinCell announced FDA approval of a long-acting olanzapine injectable.</description>
  <pubDate>{recent_date(2)}</pubDate>
</item>
</channel></rss>
"""


def xxe_feed(entity_url: str, file_url: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE rss [
  <!ENTITY remote SYSTEM "{entity_url}">
  <!ENTITY local SYSTEM "{file_url}">
]>
<rss version="2.0"><channel><title>Entities</title>
<item><title>Teva UZEDY approval &remote; &local;</title><link>https://news.example.com/xxe</link>
<description>FDA approved UZEDY. &remote; &local;</description><pubDate>{recent_date(1)}</pubDate></item>
</channel></rss>""".encode()


class Recorder(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        server = self.server
        path = self.path
        server.requests.append(path)
        port = server.server_address[1]
        redirects = {
            "/to-metadata.xml": METADATA_URL,
            "/to-loopback.xml": f"http://127.0.0.1:{port}/internal.xml",
            "/to-decimal-loopback.xml": f"http://2130706433:{port}/internal.xml",
        }
        if path in redirects:
            self.send_response(302)
            self.send_header("Location", redirects[path])
            self.end_headers()
            return
        bodies = {"/xss.xml": XSS_FEED.encode(), "/xxe.xml": server.xxe_body}
        body = bodies.get(path)
        if body is None:
            body = b"<rss version='2.0'><channel><title>Internal</title></channel></rss>"
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    with loopback_http_server(Recorder) as httpd:
        httpd.requests = []
        httpd.xxe_body = b""
        yield httpd


@pytest.fixture
def requests_seen(server):
    server.requests.clear()
    return server.requests


@pytest.fixture
def fake_network(monkeypatch, server):
    """Resolve PUBLIC_HOST to a public address and route that address to the loopback server;
    record every outgoing TCP connection the fetcher opens."""
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.create_connection
    attempts: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host == PUBLIC_HOST:
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (PUBLIC_ADDRESS, port or 80))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    def create_connection(address, *args, **kwargs):
        host, _port = address[0], address[1]
        attempts.append(host)
        if host in (PUBLIC_HOST, PUBLIC_ADDRESS):
            return real_connect(("127.0.0.1", server.server_address[1]), *args, **kwargs)
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    # The "public" host is really the loopback server: let the connect-time peer check believe the fake
    # network, so these tests exercise the redirect checks (test_fetch.py covers the peer check).
    import vectora_core.ingest.fetch as fetch_module

    monkeypatch.setattr(fetch_module, "_check_peer", lambda sock, host: None)
    return attempts


@pytest.fixture
def dev_environment(monkeypatch, handler_module):
    monkeypatch.setenv("ENV", "dev")
    return handler_module


def use_sources(s3, urls: dict[str, str]) -> None:
    def replace_sources(config):
        config["sources"] = [{"id": source_id, "url": url, "kind": "trade_press"} for source_id, url in urls.items()]

    edit_client_config(s3, CONFIG, replace_sources)


def failures(response: dict) -> dict[str, str]:
    return {f["source_id"]: f["reason"] for f in response["sources_failed"]}


# --- schemes --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://ftp.example.com/feed.xml", "gopher://example.com/1", "javascript:alert(1)"]
)
def test_non_http_feed_url_is_refused_when_the_config_loads(handler_module, context, s3, url):
    use_sources(s3, {"good_source": "https://news.example.com/feed.xml", "odd_source": url})
    result = handler_module.lambda_handler(dict(PAYLOAD), context)
    assert result["status"] == "error" and result["error"]["type"] == "ConfigError"
    assert "sources[1].url: must be an http(s) URL" in result["error"]["message"]


# --- private and metadata addresses ---------------------------------------------------------------


def private_sources(port: int) -> dict[str, str]:
    return {
        "loopback": f"http://127.0.0.1:{port}/feed.xml",
        "localhost_name": f"http://localhost:{port}/feed.xml",
        "decimal_loopback": f"http://2130706433:{port}/feed.xml",
        "mapped_ipv6_loopback": f"http://[::ffff:127.0.0.1]:{port}/feed.xml",
        "unspecified_address": f"http://0.0.0.0:{port}/feed.xml",
        "cloud_metadata": METADATA_URL,
        "private_network": "http://10.0.0.5/feed.xml",
    }


def test_private_and_metadata_addresses_are_reported_failed_outside_local(dev_environment, context, s3, server):
    sources = private_sources(server.server_address[1])
    use_sources(s3, sources)
    result = dev_environment.lambda_handler(dict(PAYLOAD), context)
    assert result["status"] == "ok"
    reasons = failures(result)
    assert set(reasons) == set(sources)
    assert all("resolves to non-public address" in reason for reason in reasons.values()), reasons


def test_private_and_metadata_addresses_are_never_contacted_outside_local(
    dev_environment, context, s3, server, fake_network, requests_seen
):
    use_sources(s3, private_sources(server.server_address[1]))
    dev_environment.lambda_handler(dict(PAYLOAD), context)
    assert fake_network == [] and requests_seen == []


def test_loopback_feed_is_fetched_in_the_local_environment(handler_module, context, s3, server, requests_seen):
    # The control for the two tests above: the same loopback URL is reachable when allowed.
    use_sources(s3, {"loopback": server.base_url + "/feed.xml"})
    result = handler_module.lambda_handler(dict(PAYLOAD), context)
    assert result["sources_failed"] == [] and requests_seen == ["/feed.xml"]


REDIRECTING = {
    "to_metadata": f"http://{PUBLIC_HOST}/to-metadata.xml",
    "to_loopback": f"http://{PUBLIC_HOST}/to-loopback.xml",
    "to_decimal_loopback": f"http://{PUBLIC_HOST}/to-decimal-loopback.xml",
}


def test_redirect_to_a_private_address_is_refused(dev_environment, context, s3, fake_network, requests_seen):
    use_sources(s3, REDIRECTING)
    result = dev_environment.lambda_handler(dict(PAYLOAD), context)
    reasons = failures(result)
    assert set(reasons) == set(REDIRECTING)
    assert all("resolves to non-public address" in reason for reason in reasons.values()), reasons
    # The public hop was made (the test exercised the redirect), the private target never was.
    assert sorted(requests_seen) == ["/to-decimal-loopback.xml", "/to-loopback.xml", "/to-metadata.xml"]
    assert set(fake_network) == {PUBLIC_HOST}


# --- XML entities ---------------------------------------------------------------------------------


def test_external_xml_entities_are_neither_fetched_nor_read(
    handler_module, context, s3, server, requests_seen, tmp_path
):
    from vectora_core import shared_store

    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    server.xxe_body = xxe_feed(server.base_url + "/entity-target", secret.as_uri())
    use_sources(s3, {"entities": server.base_url + "/xxe.xml"})
    result = handler_module.lambda_handler(dict(PAYLOAD), context)
    state = json.dumps(shared_store.feed_record(s3, DATA, server.base_url + "/xxe.xml"))
    newsletter = read_object(s3, NEWSLETTERS, result["s3"]["markdown"]).decode()
    assert requests_seen == ["/xxe.xml"]
    assert SECRET not in state and SECRET not in newsletter


# --- markup in feed items ---------------------------------------------------------------------------


class MarkupAudit(HTMLParser):
    """Collects what a browser would execute: script-capable tags, event handlers, script URLs."""

    ACTIVE_TAGS = {"script", "img", "svg", "iframe", "object", "embed", "math"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.ACTIVE_TAGS:
            self.findings.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.findings.append(f"{tag} {name}=")
            target = (value or "").strip().lower()
            if name in ("href", "src", "action") and target.startswith(("javascript:", "data:", "vbscript:")):
                self.findings.append(f"{tag} {name}={value}")


@pytest.fixture
def hostile_newsletter(handler_module, context, s3, server):
    """(html, markdown) of a newsletter built from a feed full of markup."""
    use_sources(s3, {"hostile_newsroom": server.base_url + "/xss.xml"})
    result = handler_module.lambda_handler(dict(PAYLOAD), context)
    html = read_object(s3, NEWSLETTERS, result["s3"]["html"]).decode()
    markdown = read_object(s3, NEWSLETTERS, result["s3"]["markdown"]).decode()
    # Without the hostile item selected, every assertion below would hold vacuously.
    assert "UZEDY" in html and "UZEDY" in markdown
    return html, markdown


def test_feed_markup_never_becomes_executable_html(hostile_newsletter):
    html, _markdown = hostile_newsletter
    audit = MarkupAudit()
    audit.feed(html)
    audit.close()
    assert audit.findings == []
    assert "<script" not in html.lower() and 'href="javascript:' not in html.lower()


def test_feed_markup_written_as_text_is_shown_escaped(hostile_newsletter):
    html, _markdown = hostile_newsletter
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html


def test_markdown_escapes_every_angle_bracket(hostile_newsletter):
    _html, markdown = hostile_newsletter
    assert re.findall(r"(?<!\\)<.{0,20}", markdown) == []
    assert "\\<script\\>" in markdown


def test_javascript_links_never_become_links(hostile_newsletter):
    html, markdown = hostile_newsletter
    assert "javascript:alert(10)" not in html and "javascript:alert(10)" not in markdown
    assert "](javascript:" not in markdown.lower()
