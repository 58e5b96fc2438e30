"""Vectora Inbox toolkit. Every task is a thin wrapper over a tested function of the `toolkit` package.

Environments are `env/<name>.json`; `--env` defaults to `local` (the embedded AWS emulator) or $VECTORA_ENV.
"""

from __future__ import annotations

from invoke import Collection

from . import clients, local, tf
from ._guard import _known_errors  # noqa: F401  (tests read the known errors from here)
from .drivers import bench, demo, eval_, mutate, run
from .loop import loop_bench
from .operations import failures, logs, status, trigger
from .release import config_sync, deploy, doctor, package, rollback, smoke, versions

namespace = Collection(
    run,
    package,
    deploy,
    smoke,
    rollback,
    versions,
    logs,
    config_sync,
    bench,
    demo,
    status,
    failures,
    trigger,
    local.ns,
    tf.ns,
    clients.ns,
)
namespace.add_task(doctor)
namespace.add_task(eval_)
namespace.add_task(mutate)
namespace.add_task(loop_bench)
