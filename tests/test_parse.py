from datetime import UTC, datetime, timezone

from vectora_core.ingest.parse import canonical_url, html_to_text, item_id_for, parse_feed

NOW = datetime(2026, 11, 25, tzinfo=UTC)

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>t</title>
<item><title>Camurus files Brixadi label update</title>
<link>https://example.com/news/a?utm_source=rss&amp;id=7#top</link>
<pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate>
<description>&lt;p&gt;Camurus &lt;b&gt;said&lt;/b&gt; today.&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;</description></item>
<item><title>No link here</title></item>
</channel></rss>"""


def test_canonical_url_drops_tracking_and_fragment():
    assert canonical_url("HTTPS://Example.com/a?utm_source=x&b=2&fbclid=z&a=1#frag") == "https://example.com/a?a=1&b=2"


def test_item_id_is_stable_across_tracking_variants():
    assert item_id_for("https://example.com/a?utm_medium=rss") == item_id_for("https://example.com/a#x")


def test_html_to_text_drops_tags_and_scripts():
    assert html_to_text("<p>Hello &amp; <b>bye</b></p><script>alert(1)</script>") == "Hello & bye"


def test_parse_feed_yields_clean_items():
    feed = parse_feed(RSS, "src", NOW)
    assert len(feed.items) == 1 and feed.skipped == 1
    item = feed.items[0]
    assert item.url == "https://example.com/news/a?id=7"
    assert item.text == "Camurus said today."
    assert item.published == datetime(2026, 11, 23, 10, tzinfo=UTC)


def test_truncated_feed_keeps_what_parsed():
    feed = parse_feed(RSS[: RSS.index(b"<item><title>No link")] + b"<item><title>cut", "src", NOW)
    assert feed.bozo and len(feed.items) == 1


def test_undated_entry_gets_fetch_time():
    body = b"<rss version='2.0'><channel><item><title>T</title><link>https://e.com/x</link></item></channel></rss>"
    assert parse_feed(body, "s", NOW).items[0].published == NOW


def test_runaway_feed_keeps_only_the_newest_entries():
    from vectora_core.ingest.parse import MAX_ITEMS_PER_FEED

    entries = "".join(
        f"<item><title>T{i}</title><link>https://e.com/{i}</link><pubDate>Mon, {1 + i % 28:02d} Jun 2026 10:00:00 GMT</pubDate></item>"
        for i in range(MAX_ITEMS_PER_FEED + 50)
    )
    feed = parse_feed(f"<rss version='2.0'><channel>{entries}</channel></rss>".encode(), "s", NOW)
    assert len(feed.items) == MAX_ITEMS_PER_FEED and feed.dropped == 50
    assert all(item.published.day > 1 for item in feed.items)  # the oldest day's entries were the ones dropped


def test_markdown_link_targets_escape_parentheses():
    from vectora_core.render import md_url

    assert md_url("https://e.com/a_(b)") == "https://e.com/a_%28b%29"
