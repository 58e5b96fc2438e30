"""The labelled evaluation weeks of clients other than LAI Weekly, measured like LAI Weekly's.

A client's weeks live in `eval/<client_id>/<week>/`, in the format of `eval/week1` (feeds plus `labels.yaml`); the
first week is the tuning week, the others are held out. The evaluation of `toolkit/drivers/evaluate.py` does the
measuring: this module only loads the client's own config and runs the same stages over its weeks, so that
`evaluate.py` can take these weeks in with one loop over `client_weeks()`.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from . import evaluate

EVAL_DIR = evaluate.EVAL_DIR


def client_weeks(eval_dir: Path = EVAL_DIR) -> dict[str, list[str]]:
    """{client id: its week folders, tuning week first} for every client with a folder of weeks in eval/."""
    weeks = {}
    for folder in sorted(
        p for p in eval_dir.iterdir() if p.is_dir() and (evaluate.CONFIG_DIR / "clients" / f"{p.name}.yaml").is_file()
    ):
        names = sorted(w.name for w in folder.iterdir() if (w / "labels.yaml").is_file())
        if names:
            weeks[folder.name] = names
    return weeks


def load_client(client_id: str):
    from vectora_core.client_config import parse_client_config, parse_scopes

    def load_scopes(key: str):
        return parse_scopes((evaluate.CONFIG_DIR / key).read_text(), key)

    text = (evaluate.CONFIG_DIR / "clients" / f"{client_id}.yaml").read_text()
    return parse_client_config(text, f"clients/{client_id}.yaml", load_scopes)


def run_week(client_id: str, week, backend: str) -> dict[str, Any]:
    """The engine's stages over one week for this client (as evaluate.run_week does for LAI Weekly)."""
    from vectora_core import scoring
    from vectora_core.llm.base import Budget, EditorialRequest

    client = load_client(client_id)
    llm = evaluate.make_llm(backend)
    period = client.default_period_days
    start = week.window_end - timedelta(days=period)
    in_window = [i for i in week.items if start <= i.published <= week.window_end]
    screened_in, _out = evaluate._screen(in_window, client)
    with contextlib.redirect_stdout(io.StringIO()):
        normalized = llm.normalize(screened_in, client.scopes, Budget.unlimited()) if screened_in else []
        candidates = [c for c in (scoring.score_item(n, client, week.window_end, period) for n in normalized) if c]
        merged, _count = scoring.merge_duplicates(candidates)
        selected = scoring.select(merged, client)
        request = EditorialRequest(client, start.date(), week.window_end.date(), tuple(selected))
        editorial = llm.write_editorial(request, Budget.unlimited())
    metrics = evaluate.measure(week, screened_in, candidates, merged, selected, editorial, normalized)
    metrics["model_calls"] = dict(llm.usage.calls)
    metrics["meets_targets"] = evaluate.meets_targets(metrics)
    return metrics


def evaluate_client(
    client_id: str, today: date | None = None, backends: Sequence[str] = evaluate.BACKENDS, eval_dir: Path = EVAL_DIR
) -> dict[str, Any]:
    """Every week of the client on every backend, with the LAI evaluation's targets."""
    today = today or datetime.now(UTC).date()
    names = client_weeks(eval_dir).get(client_id)
    if not names:
        raise evaluate.EvalError(f"no labelled weeks for {client_id} in {eval_dir}/{client_id}/")
    results: dict[str, Any] = {"client_id": client_id, "reference_date": today.isoformat(), "weeks": {}}
    for name in names:
        week = evaluate.load_week(name, today, eval_dir / client_id)
        results["weeks"][name] = {"held_out": name != names[0], **{b: run_week(client_id, week, b) for b in backends}}
    results["meets_targets"] = all(results["weeks"][w][b]["meets_targets"] for w in names for b in backends)
    return results
