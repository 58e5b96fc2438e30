"""The loop around the project: how long the tests and the demo take."""

from __future__ import annotations

from invoke import Exit, task

from ._guard import _guard


@task(
    name="loop-bench",
    help={
        "only": "measure one part: suite (make test), fast (make test-fast) or demo (make demo in a fresh copy)",
        "out": "where to write the figures (default .local/bench/loop.json, untracked)",
    },
)
def loop_bench(c, only=None, out=None):
    """Time `make test`, `make test-fast` and `make demo` (fresh copy, fresh emulator, warm) and print the figures.

    Changes: .local/bench/ and .local/loop-bench/ (a copy of the checkout with local services of its own, stopped at
    the end); this checkout's emulator, Terraform state and editions are left alone. Takes a few minutes.
    """
    from toolkit.drivers.loop_bench import PARTS, main

    if only not in (None, *PARTS):
        raise Exit(f"error: --only takes {', '.join(PARTS)}, not {only!r}", code=1)
    results = _guard(main, only=only, out=out)
    failed = [
        name for name, part in results.items() if isinstance(part, dict) and part.get("timing", {}).get("returncode")
    ]
    if failed:
        raise Exit(f"error: {', '.join(failed)} failed (see the output above)", code=1)
