"""`invoke eval`: how far a reader can trust the engine's editions, measured on the labelled evaluation weeks.

For every client with weeks in `eval/` (LAI Weekly's in `eval/week*`, another client's in `eval/<client_id>/week*`;
tuning and held-out weeks, see `eval_weeks.py`), each of its weeks and each backend (the offline extractor, and the
Bedrock path answered in process by the stand-in's normalization and editorial), runs the engine's own stages with
the client's own config — parse → screen → normalize → score → story clustering → select → editorial → the
editorial's check → render, one function for every client — and measures the edition against the week's labels
(`eval_metrics.py`): precision, must-include and all-relevant recall, pairwise clustering precision and recall,
split stories and wrong merges, ungrounded mentions, trailing ellipses and sentences left unfinished, formulaic
section intros; per week, per client and overall, the tuning weeks and the held-out weeks apart.

Writes the measurements to `out/eval.json` (not tracked) and prints them; `--update-reference` writes the
committed reference figures, `bench/eval.json`, instead. Exits non-zero when a target is missed.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from vectora_core import layout

from .. import REPO_ROOT
from .eval_metrics import combine, measure
from .eval_weeks import (
    EVAL_DIR,
    FIRST_CLIENT,
    EvalError,
    HeldOutWeekError,
    Week,
    clients,
    load_week,
    reference_now,
    undeclared_weeks,
    weeks_of,
    weeks_on_disk,
)

__all__ = ["EvalError", "HeldOutWeekError", "evaluate", "load_client", "load_week", "main", "reference_now"]

RESULTS = REPO_ROOT / "out" / "eval.json"
REFERENCE = REPO_ROOT / "bench" / "eval.json"
CONFIG_DIR = REPO_ROOT / "config"
CLIENT_ID = FIRST_CLIENT
BACKENDS = ("offline", "standin")
GROUPS = (("tuning", False), ("held_out", True))
# The targets, for the held-out weeks and the tuning weeks alike (each set's overall figures, per client
# and over every client).
TARGETS = {
    "precision": (">=", 0.95),
    "must_include_recall": (">=", 1.0),
    "relevant_recall": (">=", 0.9),
    "stories_split": ("<=", 0),
    "wrong_merges": ("<=", 0),
    "ungrounded_mentions": ("<=", 0),
    "trailing_ellipses": ("<=", 0),
}


def load_client(client_id: str = CLIENT_ID):
    from vectora_core.client_config import parse_client_config, parse_scopes

    def load_scopes(key: str):
        return parse_scopes((CONFIG_DIR / key).read_text(), key)

    path = CONFIG_DIR / "clients" / f"{client_id}.yaml"
    if not path.is_file():
        raise EvalError(f"evaluation weeks for {client_id!r}, but no config/clients/{client_id}.yaml")
    return parse_client_config(path.read_text(), layout.client_key(client_id), load_scopes)


def client_for(week: Week):
    """The week's client's config with the week's extra sources added (priority 1, as a user would add them)."""
    from vectora_core.models import Source

    client = load_client(week.client_id)
    extra = tuple(Source(s.source_id, s.name, s.site or "https://example.invalid/", s.kind) for s in week.extra_sources)
    return replace(client, sources=client.sources + extra)


# --- the Bedrock path, answered in process by the stand-in ---------------------------------------------


def standin_llm():
    """The engine's Bedrock layer with each model call answered by the stand-in's logic, in process."""
    from vectora_core.llm.bedrock import BedrockLLM, ModelAnswer
    from vectora_core.settings import load_settings

    from ..local.bedrock_standin import answer_text, estimate_tokens, prompt_purpose

    local = json.loads((REPO_ROOT / "env" / "local.json").read_text())["lambda_environment"]

    class InProcessStandIn(BedrockLLM):
        def invoke(self, target, system, messages, max_tokens, budget):
            user = messages[0]["content"]
            text = answer_text(prompt_purpose(system), system, user)
            tokens_in, tokens_out = estimate_tokens(system + user), estimate_tokens(text)
            with self._usage_lock:
                self.usage.add(target.purpose, tokens_in, tokens_out)
            self.answered_by_standin = True  # what the x-standin header says over HTTP
            return ModelAnswer(text, tokens_in, tokens_out, "end_turn")

    with contextlib.redirect_stdout(io.StringIO()):  # the routing log lines are not the report
        return InProcessStandIn(load_settings(local))


def make_llm(backend: str):
    from vectora_core.llm.offline import OfflineLLM

    if backend == "offline":
        return OfflineLLM()
    if backend == "standin":
        return standin_llm()
    raise EvalError(f"unknown backend {backend!r}: use one of {', '.join(BACKENDS)}")


def run_stages(week: Week, backend: str) -> tuple[dict[str, Any], Any, Any]:
    """The engine's stages over one week of any client, in process: what each returned, the client, the LLM layer."""
    from vectora_core import scoring
    from vectora_core.faithfulness import check_editorial, ungrounded_count
    from vectora_core.llm.base import Budget, EditorialRequest
    from vectora_core.render import render
    from vectora_core.screen import split_by_screen
    from vectora_core.stories import cluster_stories

    client = client_for(week)
    llm = make_llm(backend)
    period = client.default_period_days
    start = week.window_end - timedelta(days=period)
    in_window = [i for i in week.items if start <= i.published <= week.window_end]
    screened_in, _screened_out = split_by_screen(in_window, client.scopes)
    with contextlib.redirect_stdout(io.StringIO()):  # the engine's log lines are not the report
        normalized = llm.normalize(screened_in, client.scopes, Budget.unlimited()) if screened_in else []
        candidates = [c for c in (scoring.score_item(n, client, week.window_end, period) for n in normalized) if c]
        stories, _count = cluster_stories(candidates, client)
        selected = scoring.select(stories, client)
        request = EditorialRequest(client, start.date(), week.window_end.date(), tuple(selected))
        editorial = check_editorial(llm.write_editorial(request, Budget.unlimited()), request)
        faithfulness = {"removed": ungrounded_count(editorial), "corrections": list(editorial.corrections)}
        names = {s.source_id: s.name for s in client.sources}
        rendered = render(client, editorial, selected, start.date(), week.window_end.date(), names)
    stage = {
        "window": (start, week.window_end),
        "screened_in": screened_in,
        "normalized": normalized,
        "candidates": candidates,
        "stories": stories,
        "selected": selected,
        "editorial": editorial,
        "faithfulness": faithfulness,
        "rendered_markdown": rendered.markdown,
    }
    return stage, client, llm


def run_week(week: Week, backend: str) -> dict[str, Any]:
    stage, client, llm = run_stages(week, backend)
    metrics = measure(week, stage, client.scopes)
    metrics["model_calls"] = dict(llm.usage.calls)
    metrics["input_tokens"] = sum(llm.usage.input_tokens.values())
    metrics["output_tokens"] = sum(llm.usage.output_tokens.values())
    return metrics


def missed_targets(figures: dict[str, Any]) -> list[str]:
    missed = []
    for key, (op, bound) in TARGETS.items():
        value = figures[key]
        if (op == ">=" and value < bound) or (op == "<=" and value > bound):
            missed.append(f"{key} {value} (target {op} {bound})")
    return missed


def _overall(weeks: dict[str, dict[str, Any]], backends: Sequence[str]) -> dict[str, Any]:
    """Each set's figures over the given weeks ({label: week results}), the tuning and held-out weeks apart."""
    overall: dict[str, Any] = {}
    for group, held_out in GROUPS:
        members = [label for label, data in weeks.items() if data["held_out"] is held_out]
        if members:
            overall[group] = {"weeks": members, **{b: combine([weeks[w][b] for w in members]) for b in backends}}
    return overall


def evaluate(
    today: date | None = None,
    weeks: Sequence[str] | None = None,
    backends: Sequence[str] = BACKENDS,
    eval_dir: Path = EVAL_DIR,
    *,
    purpose: str = "report",
    only: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Every client's weeks (`only` these clients when given; only the tuning weeks when `purpose` is "tuning"; only
    `weeks`, by name, when given), each backend, and each set's overall figures per client and over every client."""
    today = today or datetime.now(UTC).date()
    undeclared = undeclared_weeks(eval_dir)
    if undeclared:
        raise EvalError(
            f"weeks in eval/ in no set: {', '.join(undeclared)}; add each to TUNING or HELD_OUT in "
            "toolkit/drivers/eval_weeks.py (held out if tuning never read it)"
        )
    results: dict[str, Any] = {
        "reference_date": today.isoformat(),
        "targets": {key: f"{op} {bound}" for key, (op, bound) in TARGETS.items()},
        "clients": {},
        "overall": {},
    }
    every_week: dict[str, dict[str, Any]] = {}
    for client_id in only or clients():
        on_disk = weeks_on_disk(client_id, eval_dir)
        names = [w for w in (weeks if weeks is not None else weeks_of(client_id, purpose)) if w in on_disk]
        if weeks is None and (missing := [w for w in weeks_of(client_id, purpose) if w not in on_disk]):
            raise EvalError(f"{client_id}: weeks declared in eval_weeks.py but not in eval/: {', '.join(missing)}")
        client_weeks: dict[str, Any] = {}
        for name in names:
            week = load_week(name, today, eval_dir, purpose=purpose, client_id=client_id)
            client_weeks[name] = {
                "held_out": week.held_out,
                "description": week.description,
                **{b: run_week(week, b) for b in backends},
            }
            every_week[f"{client_id}/{name}"] = client_weeks[name]
        if client_weeks:
            results["clients"][client_id] = {"weeks": client_weeks, "overall": _overall(client_weeks, backends)}
    results["overall"] = _overall(every_week, backends)
    missed = []
    scopes = [(f"{c}/", data["overall"]) for c, data in results["clients"].items()] + [("", results["overall"])]
    for prefix, overall in scopes:
        for group, data in overall.items():
            missed += [f"{prefix}{group}/{b}: {m}" for b in backends for m in missed_targets(data[b])]
    results["missed_targets"] = missed
    results["meets_targets"] = not missed
    return results


ROWS = (
    ("precision", "precision", "≥ 0.95"),
    ("must_include_recall", "must-include recall", "1.0"),
    ("relevant_recall", "all-relevant recall", "≥ 0.9"),
    ("clustering_precision", "clustering precision (pairs)", ""),
    ("clustering_recall", "clustering recall (pairs)", ""),
    ("stories_split", "split stories", "0"),
    ("wrong_merges", "wrong merges", "0"),
    ("ungrounded_mentions", "ungrounded mentions", "0"),
    ("ungrounded_removed", "ungrounded removed by the check", ""),
    ("trailing_ellipses", "trailing ellipses", "0"),
    ("not_whole_sentences", "unfinished sentences", ""),
    ("formulaic_section_intros", "formulaic section intros", ""),
    ("tldr_off_topic_lines", "off-topic TL;DR lines", ""),
    ("screen_recall", "screen recall", ""),
    ("screened_in", "items sent to the model", ""),
    ("selected", "stories selected", ""),
    ("relevant_stories", "relevant stories", ""),
    ("items", "items in the window", ""),
)


def _columns(client: dict[str, Any], backend: str) -> list[tuple[str, dict[str, Any]]]:
    columns = [(w + ("*" if data["held_out"] else ""), data[backend]) for w, data in client["weeks"].items()]
    return columns + [(f"{group} all", data[backend]) for group, data in client["overall"].items()]


def table(title: str, columns: list[tuple[str, dict[str, Any]]]) -> list[str]:
    width = max([11, *(len(name) for name, _data in columns)])
    head = f"{title:<32} {'target':>7} " + " ".join(f"{name:>{width}}" for name, _data in columns)
    lines = [head, "-" * len(head)]
    for key, label, target in ROWS:
        lines.append(f"{label:<32} {target:>7} " + " ".join(f"{data[key]!s:>{width}}" for _name, data in columns))
    return lines


DETAILS = (
    ("missing_must_include", "must-include missed"),
    ("missing_relevant", "relevant missed"),
    ("off_topic_selected", "off-topic selected"),
    ("split_stories", "split"),
    ("wrong_merges_seen", "wrongly merged"),
    ("ungrounded_seen", "ungrounded"),
    ("ellipses_seen", "ellipsis"),
    ("missed_by_screen", "screened out but relevant"),
)


def report(results: dict[str, Any], backends: Sequence[str] = BACKENDS) -> list[str]:
    """Per client a table per backend (its weeks, then its sets), then every client's sets side by side."""
    lines = []
    for client_id, client in results["clients"].items():
        for backend in backends:
            lines += table(f"{client_id} · {backend}", _columns(client, backend)) + [""]
    if len(results["clients"]) > 1:
        for backend in backends:
            columns = [
                (f"{client_id} {group}", data[backend])
                for client_id, client in results["clients"].items()
                for group, data in client["overall"].items()
            ]
            columns += [(f"all {group}", data[backend]) for group, data in results["overall"].items()]
            lines += table(f"every client · {backend}", columns) + [""]
    lines.append("* held out: never read by tuning or the engine's tests")
    if not any(group == "held_out" for group in results["overall"]):
        lines.append("no held-out week is declared (eval_weeks.HELD_OUT): these figures are all tuning weeks")
    for client_id, client in results["clients"].items():
        for week, data in client["weeks"].items():
            for backend in backends:
                for key, what in DETAILS:
                    if data[backend].get(key):
                        shown = "; ".join(str(x) for x in data[backend][key])[:400]
                        lines.append(f"  {client_id}/{week}/{backend} {what}: {shown}")
    lines += [f"TARGET MISSED {m}" for m in results["missed_targets"]]
    lines.append("all targets met" if results["meets_targets"] else "TARGETS MISSED")
    return lines


def to_json(results: dict[str, Any]) -> str:
    """The results as a file of few lines: each backend's figures of a week or a set on one line."""

    def one(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    def expand(value: Any) -> bool:
        return isinstance(value, dict) and "counts" not in value and any(isinstance(v, dict) for v in value.values())

    def write(value: Any, pad: str) -> str:
        if not expand(value):
            return one(value)
        inner = ",\n".join(f"{pad}  {one(key)}: {write(item, pad + '  ')}" for key, item in value.items())
        return "{\n" + inner + "\n" + pad + "}"

    return write(results, "") + "\n"


def main(
    today: date | None = None,
    printer: Callable[[str], None] = print,
    results_path: Path | None = None,
    *,
    update_reference: bool = False,
    tuning_only: bool = False,
) -> dict[str, Any]:
    """Run the evaluation, print it, write it (`out/eval.json`, or `bench/eval.json` with `update_reference`)."""
    if update_reference and tuning_only:
        raise EvalError("the reference figures cover every week: drop --tuning to update them")
    results = evaluate(today, purpose="tuning" if tuning_only else "report")
    path = results_path or (REFERENCE if update_reference else RESULTS)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_json(results))
    for line in report(results):
        printer(line)
    shown = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path
    printer(f"results written to {shown}")
    return results


if __name__ == "__main__":
    tuning = "--tuning" in sys.argv[1:]
    sys.exit(
        0 if main(update_reference="--update-reference" in sys.argv[1:], tuning_only=tuning)["meets_targets"] else 1
    )
