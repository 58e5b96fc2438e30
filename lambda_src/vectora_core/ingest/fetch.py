"""Fetch a feed over HTTP(S): timeout, size cap, conditional GET, and no requests to private addresses."""

from __future__ import annotations

import functools
import http.client
import ipaddress
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

USER_AGENT = "VectoraInbox/1.0 (+newsletter feed reader)"
MAX_REDIRECTS = 5


@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context per container: loading the CA bundle costs milliseconds per fetch."""
    return ssl.create_default_context()


class FetchError(RuntimeError):
    """A source could not be fetched; the message is the one-line reason shown to users."""


@dataclass(frozen=True)
class FetchResult:
    status: int
    body: bytes
    content_type: str
    etag: str
    last_modified: str
    final_url: str
    elapsed_ms: int

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def check_url_allowed(url: str, allow_private: bool) -> None:
    """Refuse non-http(s) schemes and, unless allowed, hosts resolving to non-public addresses (SSRF)."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https"):
        raise FetchError(f"refused scheme {parsed.scheme or '(none)'!r}: only http and https feeds are fetched")
    if not parsed.hostname:
        raise FetchError("URL has no host")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parsed.hostname, parsed.port or (443 if parsed.scheme == "https" else 80))
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve host {parsed.hostname}: {exc.strerror}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise FetchError(f"refused host {parsed.hostname}: resolves to non-public address {address}")


def _one_line(text: object, limit: int = 200) -> str:
    """Reasons are shown one per source: collapse whitespace and bound the length."""
    return " ".join(str(text).split())[:limit]


def _size_cap(max_bytes: int) -> str:
    return f"{max_bytes / 1_000_000:g} MB" if max_bytes >= 1_000_000 else f"{max_bytes} bytes"


class _GuardedRedirects(urllib.request.HTTPRedirectHandler):
    """Apply the SSRF check to every redirect target and bound the chain."""

    # urllib's own loop detection would fire first with a multi-line message; this class's count rules.
    max_repeats = MAX_REDIRECTS + 1
    max_redirections = MAX_REDIRECTS + 1

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private
        self.count = 0

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        self.count += 1
        if self.count > MAX_REDIRECTS:
            raise FetchError(f"more than {MAX_REDIRECTS} redirects (redirect loop?)")
        check_url_allowed(newurl, self.allow_private)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _check_peer(sock: socket.socket, host: str) -> None:
    """Check the address actually connected to: DNS may answer differently than when the URL was checked."""
    address = ipaddress.ip_address(sock.getpeername()[0])
    if not address.is_global:
        sock.close()
        raise FetchError(f"refused host {host}: connected to non-public address {address}")


class _PeerCheckedHTTP(http.client.HTTPConnection):
    def connect(self):
        super().connect()
        _check_peer(self.sock, self.host)


class _PeerCheckedHTTPS(http.client.HTTPSConnection):
    def connect(self):
        # The TCP connection is checked before the TLS handshake says anything to the peer.
        http.client.HTTPConnection.connect(self)
        _check_peer(self.sock, self.host)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)


class _PeerCheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_PeerCheckedHTTP, req)


class _PeerCheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_PeerCheckedHTTPS, req, context=self._context)


def _opener(allow_private: bool) -> urllib.request.OpenerDirector:
    if allow_private:
        return urllib.request.build_opener(_GuardedRedirects(True), urllib.request.HTTPSHandler(context=_tls_context()))
    return urllib.request.build_opener(
        _GuardedRedirects(False), _PeerCheckedHTTPHandler(), _PeerCheckedHTTPSHandler(context=_tls_context())
    )


def fetch_feed(
    url: str,
    *,
    timeout_s: float,
    max_bytes: int,
    etag: str = "",
    last_modified: str = "",
    allow_private: bool = False,
) -> FetchResult:
    """GET a feed; 304 comes back as a result, every failure as FetchError with a one-line reason."""
    check_url_allowed(url, allow_private)
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    opener = _opener(allow_private)
    started = time.monotonic()
    deadline = started + timeout_s
    try:
        with opener.open(urllib.request.Request(url, headers=headers), timeout=timeout_s) as response:
            # read1 returns after one socket read: read(n) would block until n bytes came, so a
            # server trickling a byte at a time would never reach the deadline check below.
            read = getattr(response, "read1", response.read)
            chunks, size = [], 0
            while True:
                # A server that trickles bytes would dodge the socket timeout: enforce a total deadline.
                if time.monotonic() > deadline:
                    raise FetchError(f"timed out after {timeout_s:g} s")
                chunk = read(65536)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"body larger than the {_size_cap(max_bytes)} cap")
                chunks.append(chunk)
            return FetchResult(
                status=response.status,
                body=b"".join(chunks),
                content_type=response.headers.get("Content-Type", ""),
                etag=response.headers.get("ETag", ""),
                last_modified=response.headers.get("Last-Modified", ""),
                final_url=response.geturl(),
                elapsed_ms=int((time.monotonic() - started) * 1000),
            )
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return FetchResult(304, b"", "", etag, last_modified, url, int((time.monotonic() - started) * 1000))
        raise FetchError(f"HTTP {exc.code} {_one_line(exc.reason)}") from None
    except FetchError:
        raise
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, FetchError):
            raise reason from None
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise FetchError(f"timed out after {timeout_s:g} s") from None
        raise FetchError(f"connection failed: {_one_line(reason)}") from None
    except TimeoutError:
        raise FetchError(f"timed out after {timeout_s:g} s") from None
    except (OSError, ValueError) as exc:
        raise FetchError(f"fetch failed: {_one_line(exc)}") from None
