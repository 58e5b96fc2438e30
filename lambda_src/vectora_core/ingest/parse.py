"""Parse feed bytes into RawItems: stable ids from canonical URLs, plain text, UTC dates."""

from __future__ import annotations

import calendar
import hashlib
import html
import re
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from xml.sax import SAXParseException

import feedparser

from ..models import RawItem

TRACKING_PARAMS = {"fbclid", "gclid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "igshid", "ref", "cmpid", "yclid"}
MAX_TEXT_CHARS = 4000
MAX_ITEMS_PER_FEED = 200
# Characters never valid raw in a URL; percent-encoded so a feed's link cannot break out of an
# href attribute or a Markdown link in the newsletter.
_UNSAFE_URL_CHARS = re.compile(r'[\x00-\x20\x7f<>"`{}|\\^]')


@dataclass(frozen=True)
class ParsedFeed:
    items: tuple[RawItem, ...]
    bozo: bool
    bozo_reason: str
    skipped: int  # entries without title or link
    dropped: int = 0  # entries beyond MAX_ITEMS_PER_FEED, oldest first


def _percent_encode_unsafe(text: str) -> str:
    return _UNSAFE_URL_CHARS.sub(lambda m: f"%{ord(m.group()):02X}", text)


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop fragments and tracking parameters, sort the rest."""
    parts = urllib.parse.urlsplit(url.strip())
    query = [
        (k, v)
        for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS
    ]
    netloc = _percent_encode_unsafe(parts.netloc.lower())
    if netloc.endswith(":80") and parts.scheme == "http" or netloc.endswith(":443") and parts.scheme == "https":
        netloc = netloc.rsplit(":", 1)[0]
    path = _percent_encode_unsafe(parts.path or "/")
    return urllib.parse.urlunsplit((parts.scheme.lower(), netloc, path, urllib.parse.urlencode(sorted(query)), ""))


def item_id_for(url: str) -> str:
    return hashlib.sha256(canonical_url(url).encode()).hexdigest()[:16]


class _TextExtractor(HTMLParser):
    SKIP = {"script", "style", "head", "noscript", "template"}
    BLOCK = {"p", "br", "div", "li", "h1", "h2", "h3", "h4", "tr", "section", "article"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        elif tag in self.BLOCK:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: tags, scripts and styles dropped, entities decoded, spaces collapsed."""
    if "<" not in fragment and "&" not in fragment:
        return " ".join(fragment.split())
    extractor = _TextExtractor()
    try:
        extractor.feed(fragment)
        extractor.close()
        text = "".join(extractor.parts)
    except Exception:  # HTMLParser is lenient; this guards pathological input only
        text = html.unescape(fragment)
    return " ".join(text.split())


def _entry_datetime(entry) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    return None


def _bozo_reason(exc: BaseException | None) -> str:
    """What was wrong with the feed, in one line a reader of the run report understands."""
    if exc is None:
        return "malformed feed"
    if isinstance(exc, SAXParseException):
        text = f"XML error at line {exc.getLineNumber()}, column {exc.getColumnNumber()}: {exc.getMessage()}"
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())[:200]


def parse_feed(body: bytes, source_id: str, fetched_at: datetime, content_type: str = "") -> ParsedFeed:
    """Parse RSS/Atom bytes; a malformed feed keeps whatever entries parsed."""
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False)
    items: dict[str, RawItem] = {}
    skipped = 0
    for entry in parsed.entries:
        link = entry.get("link") or ""
        title = html_to_text(entry.get("title") or "")
        if not link or not title or not link.startswith(("http://", "https://")):
            skipped += 1
            continue
        content = ""
        if entry.get("content"):
            content = entry["content"][0].get("value", "")
        raw_text = content or entry.get("summary") or ""
        text = html_to_text(raw_text)[:MAX_TEXT_CHARS]
        dated_at = _entry_datetime(entry)
        published = dated_at or fetched_at
        url = canonical_url(link)
        item_id = item_id_for(link)
        items[item_id] = RawItem(
            item_id=item_id,
            source_id=source_id,
            url=url,
            title=title[:300],
            text=text,
            published=published,
            content_hash=hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()[:16],
            dated=dated_at is not None,
        )
    reason = _bozo_reason(parsed.get("bozo_exception")) if parsed.bozo else ""
    # A runaway feed must not turn into thousands of model calls: keep the newest entries.
    kept = sorted(items.values(), key=lambda i: i.published, reverse=True)[:MAX_ITEMS_PER_FEED]
    return ParsedFeed(
        items=tuple(kept), bozo=bool(parsed.bozo), bozo_reason=reason, skipped=skipped, dropped=len(items) - len(kept)
    )
