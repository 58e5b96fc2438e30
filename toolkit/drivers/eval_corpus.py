"""The labelled evaluation weeks: a deterministic generator of realistic trade-press weeks.

`python -m toolkit.drivers.eval_corpus` writes `eval/week1/` and `eval/week2/` (both tuning weeks; week2 was held
out in the first measurement) as feed templates in the sample corpus' format (dates are
placeholders relative to the evaluation's reference day, so a run on any day gets a full week) plus
`labels.yaml`. The same seed always writes the same bytes; a test checks the committed files match.

What a week holds, like a real one: mostly pharma news with no long-acting-injectable (LAI) angle,
the LAI stories (some told by two or three sources in different words), important ones flagged
`must_include`, and traps that use LAI words in another sense (a distribution depot, breast or dental
implants, a long-acting inhaler or insulin, radioembolization microspheres, an oral extended-release
tablet) or name a watched company or product only as a competitor. Every story is invented sample
data about real companies; no quote is attributed to a real person.

`python -m toolkit.drivers.eval_corpus --realistic-week DIR` writes a larger week (≥ 400 items, ~5 % on topic)
for the benchmark's realistic scenario.
"""

from __future__ import annotations

import argparse
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import yaml

from .. import REPO_ROOT
from .eval_noise import off_topic
from .eval_stories import WEEK1_STORIES, WEEK1_TRAPS, Story, Trap
from .eval_stories_week2 import WEEK2_STORIES, WEEK2_TRAPS

EVAL_DIR = REPO_ROOT / "eval"
SOURCES = {
    # source id: (feed title, site, format, share of the week's off-topic items)
    "medincell_press": ("MedinCell press releases", "https://www.medincell.com/en/press-releases/", "rss", 0.02),
    "teva_press": (
        "Teva Pharmaceuticals - Latest News",
        "https://www.tevapharm.com/news-and-media/latest-news/",
        "rss",
        0.12,
    ),
    "camurus_press": ("Camurus press releases", "https://www.camurus.com/media/press-releases/", "rss", 0.04),
    "indivior_press": ("Indivior press releases", "https://www.indivior.com/en/media/press-releases/", "rss", 0.04),
    "alkermes_press": ("Alkermes news releases", "https://investor.alkermes.com/news-releases/", "rss", 0.05),
    "fierce_pharma": ("Fierce Pharma", "https://www.fiercepharma.com/", "rss", 0.30),
    "endpoints_news": ("Endpoints News", "https://endpts.com/", "atom", 0.28),
    "fda_press": ("FDA press announcements", "https://www.fda.gov/news-events/press-announcements/", "rss", 0.15),
}


@dataclass
class Item:
    source: str
    title: str
    text: str
    days_ago: int
    hour: str
    label: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Assembly and writing
# --------------------------------------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:70]


def build_week(
    stories: Sequence[Story], traps: Sequence[Trap], off_topic_count: int, seed: int
) -> dict[str, list[Item]]:
    rng = random.Random(seed)
    feeds: dict[str, list[Item]] = {s: [] for s in SOURCES}
    for story in stories:
        for copy in story.copies:
            feeds[copy.source].append(
                Item(
                    copy.source,
                    copy.title,
                    copy.text,
                    copy.days_ago,
                    copy.hour,
                    {
                        "relevant": True,
                        "story": story.story_id,
                        "event_type": story.event_type,
                        "significance": story.significance,
                        "must_include": story.must_include,
                    },
                )
            )
    for trap in traps:
        copy = trap.copy
        feeds[copy.source].append(
            Item(copy.source, copy.title, copy.text, copy.days_ago, copy.hour, {"relevant": False, "trap": trap.kind})
        )
    shares = {s: SOURCES[s][3] for s in SOURCES}
    total_share = sum(shares.values())
    titles = {i.title for items in feeds.values() for i in items}
    for source, share in shares.items():
        wanted = round(off_topic_count * share / total_share)
        made = attempts = 0
        while made < wanted:
            attempts += 1
            if attempts > 50 * wanted:
                raise RuntimeError(f"not enough distinct off-topic titles for {source}")
            title, text = off_topic(rng, source)
            if title in titles:
                continue  # one title per item, as labels are matched by title
            titles.add(title)
            hour = f"{rng.randint(6, 20):02d}:{rng.choice(['00', '05', '15', '20', '30', '40', '45', '55'])}"
            feeds[source].append(Item(source, title, text, rng.randint(0, 6), hour, {"relevant": False}))
            made += 1
    for items in feeds.values():
        items.sort(key=lambda i: (i.days_ago, tuple(-int(x) for x in i.hour.split(":"))))
    return feeds


def _rss(source: str, items: list[Item]) -> str:
    title, site, _fmt, _share = SOURCES[source]
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0">',
        "  <channel>",
        f"    <title>{escape(title)}</title>",
        f"    <link>{site}</link>",
        "    <description>Evaluation week for Vectora Inbox: invented stories about real companies, labelled in labels.yaml.</description>",
        "    <language>en</language>",
        "    <lastBuildDate>{{date:0@00:00}}</lastBuildDate>",
    ]
    for item in items:
        link = site + _slug(item.title) + "/"
        parts += [
            "    <item>",
            f"      <title>{escape(item.title)}</title>",
            f"      <link>{link}</link>",
            f"      <guid>{link}</guid>",
            f"      <pubDate>{{{{date:-{item.days_ago}@{item.hour}}}}}</pubDate>",
            f"      <description>{escape(item.text)}</description>",
            "    </item>",
        ]
    parts += ["  </channel>", "</rss>", ""]
    return "\n".join(parts)


def _atom(source: str, items: list[Item]) -> str:
    title, site, _fmt, _share = SOURCES[source]
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">',
        f'  <title type="text">{escape(title)}</title>',
        f"  <id>{site}feed/atom/</id>",
        f'  <link rel="alternate" type="text/html" href="{site}" />',
        "  <updated>{{isodate:0@00:00}}</updated>",
    ]
    for item in items:
        link = site + _slug(item.title) + "/"
        parts += [
            "  <entry>",
            f'    <title type="text">{escape(item.title)}</title>',
            f'    <link rel="alternate" type="text/html" href="{link}" />',
            f"    <id>{link}</id>",
            f"    <published>{{{{isodate:-{item.days_ago}@{item.hour}}}}}</published>",
            f"    <updated>{{{{isodate:-{item.days_ago}@{item.hour}}}}}</updated>",
            f'    <summary type="html">{escape("<p>" + escape(item.text) + "</p>")}</summary>',
            "  </entry>",
        ]
    parts += ["</feed>", ""]
    return "\n".join(parts)


def write_week(feeds: dict[str, list[Item]], directory: Path, description: str) -> dict[str, int]:
    directory.mkdir(parents=True, exist_ok=True)
    labels: dict[str, list[dict]] = {}
    for source, items in feeds.items():
        body = _atom(source, items) if SOURCES[source][2] == "atom" else _rss(source, items)
        (directory / f"{source}.xml").write_text(body, encoding="utf-8")
        labels[source] = [{"title": item.title, **item.label} for item in items]
    header = (
        f"# {description}\n"
        "# Generated by `python -m toolkit.drivers.eval_corpus`; do not edit by hand. One entry per item, in feed order:\n"
        "# relevant (on topic for an LAI newsletter), story (shared by copies of the same story in other\n"
        "# sources), event_type and significance as a careful editor would file them, must_include for the\n"
        "# week's important stories, trap for off-topic items that use LAI words in another sense.\n"
    )
    (directory / "labels.yaml").write_text(
        header + yaml.safe_dump(labels, sort_keys=False, allow_unicode=True, width=200), encoding="utf-8"
    )
    counts = {
        "items": sum(len(v) for v in feeds.values()),
        "relevant": sum(1 for v in feeds.values() for i in v if i.label["relevant"]),
    }
    return counts


WEEKS = {
    "week1": (WEEK1_STORIES, WEEK1_TRAPS, 146, 20261, "Evaluation week 1 (tuning week)."),
    "week2": (WEEK2_STORIES, WEEK2_TRAPS, 62, 20262, "Evaluation week 2 (tuning; held out in the first measurement)."),
}


def generate(out_dir: Path = EVAL_DIR) -> dict[str, dict[str, int]]:
    summary = {}
    for name, (stories, traps, padding, seed, description) in WEEKS.items():
        summary[name] = write_week(build_week(stories, traps, padding, seed), out_dir / name, description)
    return summary


def realistic_week(directory: Path, items: int = 460, seed: int = 4242) -> dict[str, int]:
    """A larger week for the benchmark: the tuning week's stories and traps, padded with off-topic news to ~5 % relevant."""
    stories, traps = WEEK1_STORIES, WEEK1_TRAPS
    on_topic = sum(len(s.copies) for s in stories)
    feeds = build_week(stories, traps, items - on_topic - len(traps), seed)
    return write_week(feeds, directory, "Realistic benchmark week (about 5 % on topic).")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toolkit.drivers.eval_corpus", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=EVAL_DIR)
    parser.add_argument(
        "--realistic-week", type=Path, default=None, help="write the benchmark's large week to this folder instead"
    )
    args = parser.parse_args(argv)
    if args.realistic_week:
        print(realistic_week(args.realistic_week))
    else:
        for name, counts in generate(args.out).items():
            print(f"{name}: {counts['items']} items, {counts['relevant']} relevant")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
