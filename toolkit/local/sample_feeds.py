"""Sample news feeds served on loopback, so local runs fetch realistic RSS and Atom over HTTP.

The corpus is `sample_feeds/<source_id>.xml` (LAI Weekly's sources, some of which other clients read too) and
`sample_feeds/<field>/<source_id>.xml` (the sources only another field's clients read, e.g. `obesity/`); every
source id is served at `/feeds/<source_id>.xml`. Dates are placeholders resolved against the
server's "today" (UTC), so a run on any day finds a full week of news:

- `{{date:-3}}` → RFC 822 (RSS) date 3 days before today at 09:00 UTC;
- `{{date:-3@14:05}}` → same day at 14:05 UTC; `{{date:-3@08:30-0500}}` → 08:30 local time at UTC-5;
- `{{isodate:-3@14:05}}` → the same instants in RFC 3339 (Atom).

Run `python -m toolkit.local.sample_feeds --host 127.0.0.1 --port 5057` to serve until SIGTERM.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from .. import REPO_ROOT

CORPUS_DIR = REPO_ROOT / "sample_feeds"
DEFAULT_PORT = 5057
DEFAULT_HOUR = 9

RSS_CONTENT_TYPE = "application/rss+xml; charset=utf-8"
ATOM_CONTENT_TYPE = "application/atom+xml; charset=utf-8"

_SOURCE_ID = re.compile(r"^[a-z0-9_]+$")
_FEED_PATH = re.compile(r"^/feeds/([a-z0-9_]+)\.xml$")
_PLACEHOLDER = re.compile(
    r"\{\{(?P<kind>date|isodate):(?P<days>[+-]?\d{1,3})"
    r"(?:@(?P<hour>\d{2}):(?P<minute>\d{2}))?"
    r"(?P<zone>[+-]\d{2}:?\d{2})?\}\}"
)
_FIRST_ELEMENT = re.compile(rb"<([A-Za-z][\w.:-]*)")


class UnknownFeedError(LookupError):
    """No sample feed exists for this source id."""


@dataclass(frozen=True)
class RenderedFeed:
    source_id: str
    body: bytes
    content_type: str
    etag: str  # strong validator, quoted
    last_modified: datetime  # newest date in the feed, UTC, whole seconds


def _corpus(corpus_dir: Path | str | None) -> Path:
    return Path(corpus_dir) if corpus_dir is not None else CORPUS_DIR


def source_ids(corpus_dir: Path | str | None = None) -> list[str]:
    """Source ids that have a sample feed at the top of the corpus (LAI Weekly's), sorted."""
    return sorted(p.stem for p in _corpus(corpus_dir).glob("*.xml") if _SOURCE_ID.match(p.stem))


def all_source_ids(corpus_dir: Path | str | None = None) -> list[str]:
    """Every source id served: the top of the corpus and its field folders, sorted."""
    nested = [p.stem for p in _corpus(corpus_dir).glob("*/*.xml") if _SOURCE_ID.match(p.stem)]
    return sorted({*source_ids(corpus_dir), *nested})


def feed_path(source_id: str, corpus_dir: Path | str | None = None) -> Path:
    """The template of a source: at the top of the corpus, else in a field folder."""
    top = _corpus(corpus_dir) / f"{source_id}.xml"
    if top.is_file():
        return top
    nested = sorted(_corpus(corpus_dir).glob(f"*/{source_id}.xml"))
    if not nested:
        raise UnknownFeedError(source_id)
    return nested[0]


def _zone(raw: str | None) -> timezone:
    if not raw:
        return UTC
    digits = raw[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return timezone(-offset if raw[0] == "-" else offset)


def _format(kind: str, instant: datetime, zone_given: bool) -> str:
    if kind == "isodate":
        text = instant.isoformat(timespec="seconds")
        return text.replace("+00:00", "Z") if not zone_given else text
    # RFC 822: "GMT" when no zone was written, as most feeds do; the numeric offset otherwise.
    return format_datetime(instant, usegmt=not zone_given)


def resolve_dates(template: str, today: date, now: datetime | None = None) -> tuple[str, datetime | None]:
    """Replace the date placeholders; return the text and the newest instant written (UTC).

    With `now`, an instant later than `now` (an item dated later today) is moved back to the start of
    the current hour, so a feed never carries news from the future whatever time it is served.
    """
    newest: datetime | None = None

    def substitute(match: re.Match[str]) -> str:
        nonlocal newest
        zone = _zone(match["zone"])
        hour = int(match["hour"]) if match["hour"] else DEFAULT_HOUR
        minute = int(match["minute"]) if match["minute"] else 0
        local_day = today + timedelta(days=int(match["days"]))
        instant = datetime.combine(local_day, time(hour, minute), tzinfo=zone)
        if now is not None and instant > now:
            instant = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0).astimezone(zone)
        utc = instant.astimezone(UTC)
        newest = utc if newest is None or utc > newest else newest
        return _format(match["kind"], instant, zone_given=bool(match["zone"]))

    text = _PLACEHOLDER.sub(substitute, template)
    leftover = text.find("{{")
    if leftover != -1:
        raise ValueError(f"unknown placeholder near {text[leftover : leftover + 40]!r}")
    return text, newest


def _content_type(body: bytes) -> str:
    root = _FIRST_ELEMENT.search(body[:4096])  # skips the XML declaration and comments
    return ATOM_CONTENT_TYPE if root and root.group(1).split(b":")[-1] == b"feed" else RSS_CONTENT_TYPE


def render(
    source_id: str, today: date, corpus_dir: Path | str | None = None, now: datetime | None = None
) -> RenderedFeed:
    """Render one sample feed for `today`, with its HTTP validators."""
    if not _SOURCE_ID.match(source_id):
        raise UnknownFeedError(source_id)
    path = feed_path(source_id, corpus_dir)
    try:
        template = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UnknownFeedError(source_id) from None
    text, newest = resolve_dates(template, today, now)
    body = text.encode("utf-8")
    last_modified = newest or datetime.combine(today, time(0), tzinfo=UTC)
    return RenderedFeed(
        source_id=source_id,
        body=body,
        content_type=_content_type(body),
        etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
        last_modified=last_modified.replace(microsecond=0),
    )


def render_feed(source_id: str, today: date, corpus_dir: Path | str | None = None) -> bytes:
    """The feed body of `source_id` with its dates resolved relative to `today`."""
    return render(source_id, today, corpus_dir).body


def _etag_matches(header: str, etag: str) -> bool:
    # If-None-Match uses the weak comparison: W/"x" matches "x".
    candidates = [c.strip() for c in header.split(",")]
    return any(c == "*" or c.removeprefix("W/") == etag for c in candidates)


def _not_modified_since(header: str, last_modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False  # an unreadable date is ignored, as RFC 9110 asks
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return last_modified <= since


class _Handler(BaseHTTPRequestHandler):
    server: _FeedHTTPServer
    server_version = "VectoraSampleFeeds/1.0"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        pass  # requests are kept in SampleFeedServer.requests; stderr stays quiet

    def _respond(self, send_body: bool) -> None:
        app = self.server.app
        path = urlsplit(self.path).path
        status = HTTPStatus.OK
        headers: dict[str, str] = {}
        body = b""
        match = _FEED_PATH.match(path)
        if path == "/healthz":
            headers["Content-Type"] = "text/plain; charset=utf-8"
            body = b"ok\n"
        elif path in ("/", "/feeds", "/feeds/"):
            headers["Content-Type"] = "text/plain; charset=utf-8"
            body = "".join(app.feed_url(s) + "\n" for s in all_source_ids(app.corpus_dir)).encode()
        elif match:
            try:
                feed = app.render(match.group(1))
            except UnknownFeedError:
                status = HTTPStatus.NOT_FOUND
            else:
                headers["ETag"] = feed.etag
                headers["Last-Modified"] = format_datetime(feed.last_modified, usegmt=True)
                headers["Cache-Control"] = "no-cache"
                inm = self.headers.get("If-None-Match")
                ims = self.headers.get("If-Modified-Since")
                if (inm is not None and _etag_matches(inm, feed.etag)) or (
                    inm is None and ims is not None and _not_modified_since(ims, feed.last_modified)
                ):
                    status = HTTPStatus.NOT_MODIFIED
                else:
                    headers["Content-Type"] = feed.content_type
                    body = feed.body
        else:
            status = HTTPStatus.NOT_FOUND
        if status == HTTPStatus.NOT_FOUND:
            headers["Content-Type"] = "text/plain; charset=utf-8"
            body = b"not found\n"
        # Logged before anything is sent, so a client that has its answer always finds it in the log.
        app._record(self.path, int(status))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != HTTPStatus.NOT_MODIFIED:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and status != HTTPStatus.NOT_MODIFIED:
            self.wfile.write(body)


class _FeedHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    app: SampleFeedServer


class SampleFeedServer:
    """Threaded HTTP server for the sample corpus; `today=None` follows the current UTC date."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        corpus_dir: Path | str | None = None,
        today: date | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.corpus_dir = _corpus(corpus_dir)
        self.today = today
        self._requests: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        self._httpd: _FeedHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> SampleFeedServer:
        if self._httpd is not None:
            raise RuntimeError("sample feed server already started")
        httpd = _FeedHTTPServer((self.host, self.port), _Handler)
        httpd.app = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        # A short poll interval keeps stop() quick; idle cost is negligible on loopback.
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="sample-feeds", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SampleFeedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("sample feed server not started")
        return f"http://{self.host}:{self.port}"

    def feed_url(self, source_id: str) -> str:
        return f"{self.base_url}/feeds/{source_id}.xml"

    @property
    def requests(self) -> list[tuple[str, int]]:
        """(path, status) of every request answered so far, in order."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def render(self, source_id: str) -> RenderedFeed:
        now = datetime.now(UTC)
        today = self.today or now.date()
        # Only a feed rendered for the current day can hold instants later than now.
        return render(source_id, today, self.corpus_dir, now if today == now.date() else None)

    def _record(self, path: str, status: int) -> None:
        with self._lock:
            self._requests.append((path, status))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toolkit.local.sample_feeds", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="0 picks a free port")
    parser.add_argument("--corpus-dir", default=None, help="folder of <source_id>.xml templates")
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="YYYY-MM-DD; default: UTC today")
    args = parser.parse_args(argv)

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server = SampleFeedServer(args.host, args.port, args.corpus_dir, args.today).start()
    try:
        feeds = all_source_ids(server.corpus_dir)
        print(f"Serving {len(feeds)} sample feeds at {server.base_url}/feeds/<source_id>.xml", flush=True)
        while not stop.wait(1.0):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
