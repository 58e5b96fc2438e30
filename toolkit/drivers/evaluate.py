"""`invoke eval`: relevance of the engine's selection measured on the labelled evaluation weeks.

For each week (`eval/week1`, the tuning week, and `eval/week2`, held out) and each backend (the offline
extractor, and the Bedrock path answered in process by the stand-in's normalization and editorial),
runs the engine's own stages — parse → screen → normalize → score → merge duplicates → select →
editorial — and compares the result with `labels.yaml`:

- precision: share of selected stories that are on topic;
- must-include recall: share of the week's important stories selected (a story counts once,
  whichever source's copy is selected);
- all-relevant recall: the same over every on-topic story;
- duplicates: pairwise precision/recall of merging (pairs of items told as one story) and the number
  of stories split across two or more selected items;
- off-topic TL;DR lines, screen recall (every on-topic item must pass the screen), event types filed
  as labelled, and the model calls and tokens the week costs.

Writes bench/eval.json and prints a table; exits non-zero when a target is missed.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

import yaml

from .. import REPO_ROOT
from ..local.sample_feeds import render, source_ids

EVAL_DIR = REPO_ROOT / "eval"
RESULTS = REPO_ROOT / "bench" / "eval.json"
CONFIG_DIR = REPO_ROOT / "config"
CLIENT_ID = "lai_weekly_v3"
WEEKS = ("week1", "week2")
BACKENDS = ("offline", "standin")
TARGETS = {"precision": 0.9, "must_include_recall": 0.95, "relevant_recall": 0.8, "stories_split": 0}
_WORD = re.compile(r"[a-z0-9]{4,}")


class EvalError(RuntimeError):
    """The evaluation could not run (a missing week, an unlabelled item)."""


@dataclass(frozen=True)
class Week:
    name: str
    items: tuple  # RawItem
    labels: dict[str, dict[str, Any]]  # by item id
    window_end: datetime


def reference_now(today: date) -> datetime:
    # Late on the reference day, so every item of the week (dated up to 21:10) is in the window.
    return datetime.combine(today, time(23, 0), tzinfo=UTC)


def load_client():
    from vectora_core.client_config import parse_client_config, parse_scopes

    def load_scopes(key: str):
        return parse_scopes((CONFIG_DIR / key).read_text(), key)

    text = (CONFIG_DIR / "clients" / f"{CLIENT_ID}.yaml").read_text()
    return parse_client_config(text, f"clients/{CLIENT_ID}.yaml", load_scopes)


def load_week(name: str, today: date, eval_dir: Path = EVAL_DIR) -> Week:
    """Parse the week's feeds as the engine would, and attach each item's label (matched by source and title)."""
    from vectora_core.ingest.parse import parse_feed

    directory = eval_dir / name
    labels_path = directory / "labels.yaml"
    if not labels_path.exists():
        raise EvalError(f"no labelled week at {directory}: run `python -m toolkit.drivers.eval_corpus` to write it")
    labels = yaml.safe_load(labels_path.read_text(encoding="utf-8"))
    now = reference_now(today)
    items, by_id = [], {}
    for source in source_ids(directory):
        feed = render(source, today, directory)
        parsed = parse_feed(feed.body, source, now, feed.content_type)
        by_title = {entry["title"]: entry for entry in labels.get(source, [])}
        for item in parsed.items:
            label = by_title.get(item.title)
            if label is None:
                raise EvalError(f"{name}/{source}: item {item.title!r} has no label")
            items.append(item)
            by_id[item.item_id] = {"source": source, **label}
    return Week(name, tuple(items), by_id, now)


# --- the Bedrock path, answered in process by the stand-in ---------------------------------------------


def standin_llm():
    """The engine's Bedrock layer with each model call answered by the stand-in's logic, in process."""
    from vectora_core.llm.bedrock import BedrockLLM
    from vectora_core.settings import load_settings

    from ..local.bedrock_standin import answer_text, estimate_tokens, prompt_purpose

    local = json.loads((REPO_ROOT / "env" / "local.json").read_text())["lambda_environment"]

    class InProcessStandIn(BedrockLLM):
        standin = True

        def invoke(self, target, system, messages, max_tokens, budget):
            user = messages[0]["content"]
            text = answer_text(prompt_purpose(system), system, user)
            tokens_in, tokens_out = estimate_tokens(system + user), estimate_tokens(text)
            with self._usage_lock:
                self.usage.add(target.purpose, tokens_in, tokens_out)
            return text, tokens_in, tokens_out

    return InProcessStandIn(load_settings(local))


def make_llm(backend: str):
    from vectora_core.llm.offline import OfflineLLM

    if backend == "offline":
        return OfflineLLM()
    if backend == "standin":
        return standin_llm()
    raise EvalError(f"unknown backend {backend!r}: use one of {', '.join(BACKENDS)}")


# --- metrics -----------------------------------------------------------------------------------------


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _story(item_id: str, labels: dict[str, dict]) -> str | None:
    label = labels[item_id]
    if not label.get("relevant"):
        return None
    return label.get("story") or f"item:{item_id}"


def _pairs(groups: Sequence[Sequence[str]]) -> set[frozenset]:
    return {frozenset(pair) for group in groups for pair in combinations(sorted(group), 2)}


def _ratio(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 3) if denominator else 1.0


def measure(week: Week, screened_in: Sequence, candidates, merged, selected, editorial, normalized) -> dict[str, Any]:
    labels = week.labels
    relevant_items = [i for i in week.items if labels[i.item_id].get("relevant")]
    stories = {_story(i.item_id, labels) for i in relevant_items}
    must = {_story(i.item_id, labels) for i in relevant_items if labels[i.item_id].get("must_include")}
    covered: set[str] = set()
    split: dict[str, int] = {}
    on_topic_selected = 0
    filed_right = 0
    for scored in selected:
        lead_story = _story(scored.item.item_id, labels)
        on_topic_selected += lead_story is not None
        if lead_story and labels[scored.item.item_id].get("event_type") == scored.item.event_type:
            filed_right += 1
        cluster_stories = {_story(i, labels) for i in (scored.item.item_id, *scored.merged_ids)} - {None}
        covered |= cluster_stories
        for story in cluster_stories:
            split[story] = split.get(story, 0) + 1
    true_groups: dict[str, list[str]] = {}
    for item in relevant_items:
        true_groups.setdefault(_story(item.item_id, labels), []).append(item.item_id)
    true_pairs = _pairs(list(true_groups.values()))
    predicted_pairs = _pairs([(m.item.item_id, *m.merged_ids) for m in merged])
    # TL;DR lines: each is traced to the selected story whose words it shares most.
    off_topic_lines = 0
    for line in editorial.tldr:
        words = _words(line)
        best = max(selected, key=lambda s: len(words & _words(f"{s.item.title} {s.item.summary}")), default=None)
        if best is None or _story(best.item.item_id, labels) is None:
            off_topic_lines += 1
    passed = {i.item_id for i in screened_in}
    missed_by_screen = [labels[i.item_id]["title"] for i in relevant_items if i.item_id not in passed]
    missing_must = sorted(must - covered)
    off_topic_picks = [s.item.title for s in selected if _story(s.item.item_id, labels) is None]
    significance_right = sum(
        1
        for n in normalized
        if labels[n.item_id].get("relevant")
        and labels[n.item_id].get("significance") == getattr(n, "significance", None)
    )
    return {
        "items": len(week.items),
        "relevant_items": len(relevant_items),
        "relevant_stories": len(stories),
        "must_include_stories": len(must),
        "screened_in": len(screened_in),
        "normalized": len(normalized),
        "candidates": len(candidates),
        "selected": len(selected),
        "precision": _ratio(on_topic_selected, len(selected)),
        "must_include_recall": _ratio(len(must & covered), len(must)),
        "relevant_recall": _ratio(len(stories & covered), len(stories)),
        "duplicate_pairs_precision": _ratio(len(predicted_pairs & true_pairs), len(predicted_pairs)),
        "duplicate_pairs_recall": _ratio(len(predicted_pairs & true_pairs), len(true_pairs)),
        "stories_split": sum(1 for count in split.values() if count > 1),
        "tldr_lines": len(editorial.tldr),
        "tldr_off_topic_lines": off_topic_lines,
        "screen_recall": _ratio(len(relevant_items) - len(missed_by_screen), len(relevant_items)),
        "event_types_filed_right": _ratio(filed_right, on_topic_selected),
        "significance_agreement": _ratio(significance_right, len(relevant_items)),
        "missing_must_include": missing_must,
        "missing_relevant": sorted(stories - covered),
        "off_topic_selected": off_topic_picks,
        "missed_by_screen": missed_by_screen,
    }


def run_week(week: Week, backend: str) -> dict[str, Any]:
    """The engine's stages over one week, in process; returns the metrics and the model usage."""
    from vectora_core import scoring
    from vectora_core.llm.base import Budget, EditorialRequest

    client = load_client()
    llm = make_llm(backend)
    period = client.default_period_days
    start = week.window_end - timedelta(days=period)
    in_window = [i for i in week.items if start <= i.published <= week.window_end]
    screened_in, _screened_out = _screen(in_window, client)
    with contextlib.redirect_stdout(io.StringIO()):  # the engine's log lines are not the report
        normalized = llm.normalize(screened_in, client.scopes, Budget.unlimited()) if screened_in else []
        candidates = [c for c in (scoring.score_item(n, client, week.window_end, period) for n in normalized) if c]
        merged, _count = scoring.merge_duplicates(candidates)
        selected = scoring.select(merged, client)
        request = EditorialRequest(client, start.date(), week.window_end.date(), tuple(selected))
        editorial = llm.write_editorial(request, Budget.unlimited())
    metrics = measure(week, screened_in, candidates, merged, selected, editorial, normalized)
    metrics["model_calls"] = dict(llm.usage.calls)
    metrics["input_tokens"] = sum(llm.usage.input_tokens.values())
    metrics["output_tokens"] = sum(llm.usage.output_tokens.values())
    metrics["meets_targets"] = meets_targets(metrics)
    return metrics


def _screen(items, client):
    """The engine's pre-model screen when it has one; otherwise everything goes to the model."""
    try:
        from vectora_core.screen import split_by_screen
    except ImportError:
        return list(items), []
    return split_by_screen(items, client.scopes)


def meets_targets(metrics: dict[str, Any]) -> bool:
    return (
        metrics["precision"] >= TARGETS["precision"]
        and metrics["must_include_recall"] >= TARGETS["must_include_recall"]
        and metrics["relevant_recall"] >= TARGETS["relevant_recall"]
        and metrics["stories_split"] <= TARGETS["stories_split"]
    )


def evaluate(
    today: date | None = None,
    weeks: Sequence[str] = WEEKS,
    backends: Sequence[str] = BACKENDS,
    eval_dir: Path = EVAL_DIR,
) -> dict[str, Any]:
    today = today or datetime.now(UTC).date()
    results: dict[str, Any] = {"reference_date": today.isoformat(), "targets": TARGETS, "weeks": {}}
    for name in weeks:
        week = load_week(name, today, eval_dir)
        results["weeks"][name] = {"held_out": name != "week1", **{b: run_week(week, b) for b in backends}}
    results["meets_targets"] = all(results["weeks"][w][b]["meets_targets"] for w in weeks for b in backends)
    return results


ROWS = (
    ("precision", "precision of the selection", "≥ 0.9"),
    ("must_include_recall", "must-include recall", "≥ 0.95"),
    ("relevant_recall", "all-relevant recall", "≥ 0.8"),
    ("stories_split", "stories split across items", "0"),
    ("duplicate_pairs_precision", "duplicate pairs precision", ""),
    ("duplicate_pairs_recall", "duplicate pairs recall", ""),
    ("tldr_off_topic_lines", "off-topic TL;DR lines", "0"),
    ("screen_recall", "screen recall (relevant items)", "1.0"),
    ("event_types_filed_right", "event types filed as labelled", ""),
    ("screened_in", "items sent to the model", ""),
    ("selected", "items selected", ""),
)


def table(results: dict[str, Any]) -> list[str]:
    columns = [(w, b) for w, data in results["weeks"].items() for b in data if b in BACKENDS]
    head = f"{'figure':<32} {'target':>7} " + " ".join(
        f"{w + ('*' if results['weeks'][w]['held_out'] else '') + '/' + b:>16}" for w, b in columns
    )
    lines = [head, "-" * len(head)]
    for key, label, target in ROWS:
        values = " ".join(f"{results['weeks'][w][b][key]:>16}" for w, b in columns)
        lines.append(f"{label:<32} {target:>7} {values}")
    lines.append(
        f"{'items / relevant stories':<32} {'':>7} "
        + " ".join(
            f"{str(results['weeks'][w][b]['items']) + ' / ' + str(results['weeks'][w][b]['relevant_stories']):>16}"
            for w, b in columns
        )
    )
    lines.append("* held out: never used to tune rules or weights")
    for w, b in columns:
        data = results["weeks"][w][b]
        for key, what in (
            ("missing_must_include", "must-include missed"),
            ("off_topic_selected", "off-topic selected"),
            ("missed_by_screen", "screened out but relevant"),
            ("missing_relevant", "relevant missed"),
        ):
            if data[key]:
                lines.append(f"  {w}/{b} {what}: {', '.join(str(x) for x in data[key])[:300]}")
    lines.append("all targets met" if results["meets_targets"] else "TARGETS MISSED")
    return lines


def main(
    today: date | None = None, printer: Callable[[str], None] = print, results_path: Path = RESULTS
) -> dict[str, Any]:
    results = evaluate(today)
    results_path.parent.mkdir(exist_ok=True)
    results_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    for line in table(results):
        printer(line)
    shown = results_path.relative_to(REPO_ROOT) if results_path.is_relative_to(REPO_ROOT) else results_path
    printer(f"results written to {shown}")
    return results


if __name__ == "__main__":
    sys.exit(0 if main()["meets_targets"] else 1)
