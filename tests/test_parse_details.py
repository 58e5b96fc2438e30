"""Feed parsing in detail: canonical URLs, text extraction, dates, caps and the malformed-feed reason."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timezone

from vectora_core.ingest.parse import MAX_TEXT_CHARS, canonical_url, html_to_text, item_id_for, parse_feed

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def rss(items: str) -> bytes:
    return f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel><title>t</title>{items}</channel></rss>".encode()


def item(title="T", link="https://e.com/a", extra="") -> str:
    return f"<item><title>{title}</title><link>{link}</link>{extra}</item>"


# --- canonical URLs ------------------------------------------------------------------------------------


def test_default_ports_are_dropped_and_others_kept():
    assert canonical_url("http://E.com:80/a") == "http://e.com/a"
    assert canonical_url("https://e.com:443/a") == "https://e.com/a"
    assert canonical_url("https://e.com:80/a") == "https://e.com:80/a"
    assert canonical_url("http://e.com:443/a") == "http://e.com:443/a"
    assert canonical_url("https://e.com:8443/a") == "https://e.com:8443/a"


def test_empty_path_becomes_slash_and_surrounding_spaces_go():
    assert canonical_url("  https://e.com  ") == "https://e.com/"


def test_tracking_parameters_are_dropped_whatever_their_case_and_blank_values_kept():
    url = "https://e.com/a?UTM_Source=x&FBCLID=1&Ref=rss&gclid=2&mc_cid=3&yclid=4&z=&b=2"
    assert canonical_url(url) == "https://e.com/a?b=2&z="


def test_characters_that_could_break_out_of_markup_are_percent_encoded():
    assert canonical_url('https://e.com/a b"<c>`{|}\\^') == "https://e.com/a%20b%22%3Cc%3E%60%7B%7C%7D%5C%5E"
    assert canonical_url("https://e.com\x7f/x") == "https://e.com%7F/x"


def test_item_id_is_sixteen_hex_of_the_canonical_urls_sha256():
    expected = hashlib.sha256(b"https://e.com/a?b=1").hexdigest()[:16]
    assert item_id_for("HTTPS://E.COM/a?b=1&utm_medium=x#frag") == expected


# --- text extraction ----------------------------------------------------------------------------------


def test_block_elements_separate_words():
    assert html_to_text("<p>one</p><p>two</p>three<br>four<div>five</div><li>six</li>") == "one two three four five six"


def test_invisible_elements_are_dropped():
    fragment = "a<style>x{}</style>b<noscript>n</noscript>c<template>t</template>d<head>h</head>e<script>s</script>f"
    assert html_to_text(fragment) == "abcdef"


def test_a_stray_closing_script_tag_does_not_hide_what_follows():
    assert html_to_text("</script>kept <b>text</b>") == "kept text"


def test_plain_text_only_has_its_spaces_collapsed():
    assert html_to_text("  plain \n text\t here ") == "plain text here"


def test_entities_alone_are_decoded():
    assert html_to_text("R&amp;D &lt;LAI&gt;") == "R&D <LAI>"


# --- entries ------------------------------------------------------------------------------------------


def test_updated_date_is_used_when_an_entry_has_no_published_date():
    atom = b"""<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>t</title>
    <entry><title>A</title><link href='https://e.com/a'/><updated>2026-11-20T08:30:00Z</updated></entry></feed>"""
    assert parse_feed(atom, "s", NOW).items[0].published == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def test_full_content_is_preferred_to_the_summary():
    extra = "<description>short</description><content:encoded><![CDATA[<p>full text</p>]]></content:encoded>"
    assert parse_feed(rss(item(extra=extra)), "s", NOW).items[0].text == "full text"


def test_summary_is_used_without_full_content():
    assert (
        parse_feed(rss(item(extra="<description>short &amp; sweet</description>")), "s", NOW).items[0].text
        == "short & sweet"
    )


def test_title_and_text_are_capped():
    body = rss(item(title="T" * 400, extra=f"<description>{'w' * (MAX_TEXT_CHARS + 50)}</description>"))
    parsed = parse_feed(body, "s", NOW).items[0]
    assert len(parsed.title) == 300 and len(parsed.text) == MAX_TEXT_CHARS


def test_item_fields_come_from_the_entry():
    parsed = parse_feed(
        rss(
            item(
                title="Camurus &amp; Lilly",
                link="https://e.com/a?utm_source=x",
                extra="<description>Body</description>",
            )
        ),
        "camurus_press",
        NOW,
    )
    (entry,) = parsed.items
    assert (entry.source_id, entry.url, entry.title, entry.text) == (
        "camurus_press",
        "https://e.com/a",
        "Camurus & Lilly",
        "Body",
    )
    assert entry.item_id == item_id_for("https://e.com/a")
    assert entry.content_hash == hashlib.sha256(b"Camurus & Lilly\nBody").hexdigest()[:16]
    assert (parsed.bozo, parsed.bozo_reason, parsed.skipped, parsed.dropped) == (False, "", 0, 0)


def test_entries_without_an_http_link_or_title_are_skipped_and_counted():
    body = rss(
        item(link="ftp://e.com/a") + item(link="javascript:alert(1)") + item(title="") + item(link="http://e.com/ok")
    )
    parsed = parse_feed(body, "s", NOW)
    assert [i.url for i in parsed.items] == ["http://e.com/ok"] and parsed.skipped == 3


def test_the_same_link_twice_is_one_item():
    body = rss(item(link="https://e.com/a?utm_source=1") + item(link="https://e.com/a#x"))
    assert len(parse_feed(body, "s", NOW).items) == 1


def test_items_come_newest_first():
    dated = "".join(
        item(title=f"T{d}", link=f"https://e.com/{d}", extra=f"<pubDate>Mon, {d:02d} Nov 2026 10:00:00 GMT</pubDate>")
        for d in (2, 9, 5)
    )
    assert [i.title for i in parse_feed(rss(dated), "s", NOW).items] == ["T9", "T5", "T2"]


def test_a_malformed_feed_names_the_xml_error_with_its_position():
    parsed = parse_feed(rss(item())[:-30], "s", NOW)
    assert parsed.bozo and parsed.bozo_reason.startswith("XML error at line 1, column ")
    assert len(parsed.bozo_reason) <= 200 and "\n" not in parsed.bozo_reason


def test_a_feed_declared_latin1_only_by_its_http_header_is_decoded_with_it():
    body = "<rss version='2.0'><channel><item><title>Médicament approuvé</title><link>https://e.com/a</link></item></channel></rss>".encode(
        "latin-1"
    )
    parsed = parse_feed(body, "s", NOW, "application/rss+xml; charset=iso-8859-1")
    assert (
        parsed.items[0].title == "Médicament approuvé" and not parsed.bozo
    )  # without the header: a malformed-feed warning


def test_an_entry_without_summary_or_content_has_empty_text():
    assert parse_feed(rss(item()), "s", NOW).items[0].text == ""


def test_published_date_wins_over_updated():
    atom = b"""<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>t</title>
    <entry><title>A</title><link href='https://e.com/a'/><published>2026-11-18T08:00:00Z</published><updated>2026-11-20T08:30:00Z</updated></entry></feed>"""
    assert parse_feed(atom, "s", NOW).items[0].published == datetime(2026, 11, 18, 8, tzinfo=UTC)


def test_a_creation_date_is_used_when_nothing_else_dates_the_entry():
    import time

    from vectora_core.ingest.parse import _entry_datetime

    created = time.strptime("2026-11-19 07:00", "%Y-%m-%d %H:%M")
    assert _entry_datetime({"created_parsed": created}) == datetime(2026, 11, 19, 7, tzinfo=UTC)
    assert _entry_datetime({}) is None


def test_the_default_port_is_dropped_after_credentials_in_the_address():
    assert canonical_url("https://user:pw@e.com:443/a") == "https://user:pw@e.com/a"


def test_invisible_elements_nest():
    assert html_to_text("<head><style>a</style>b</head>c") == "c"


def test_text_extraction_falls_back_to_unescaping_when_the_parser_fails(monkeypatch):
    from vectora_core.ingest import parse

    def broken_feed(self, data):
        raise AssertionError("parser failure")

    monkeypatch.setattr(parse._TextExtractor, "feed", broken_feed)
    assert html_to_text("<b>R&amp;D</b>") == "<b>R&D</b>"


def test_malformed_feed_reasons_are_one_short_line():
    from vectora_core.ingest.parse import _bozo_reason

    assert _bozo_reason(None) == "malformed feed"
    assert _bozo_reason(ValueError()) == "ValueError"
    assert _bozo_reason(ValueError("bad\n   byte")) == "bad byte"
    assert _bozo_reason(ValueError("x" * 300)) == "x" * 200


def test_an_entry_with_a_date_is_dated_and_one_without_is_not():
    dated = item("D", "https://e.com/d", "<pubDate>Fri, 20 Nov 2026 08:30:00 GMT</pubDate>")
    items = parse_feed(rss(dated + item("U", "https://e.com/u")), "s", NOW).items
    assert {i.title: i.dated for i in items} == {"D": True, "U": False}
