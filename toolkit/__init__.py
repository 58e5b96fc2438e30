"""Vectora Inbox DevOps toolkit: package, deploy, smoke-test, roll back and observe the engine.

Every Invoke task in `tasks/` is a thin wrapper over a function of this package.
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
