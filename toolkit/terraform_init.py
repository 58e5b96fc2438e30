"""When `terraform init` can be skipped: nothing it reads changed since the last init of that directory succeeded.

`terraform init` re-verifies the installed AWS provider on every run, hashing its ~700 MB binary: about 1.5 s of CPU
before each plan or apply. The toolkit keeps a fingerprint of what a successful init read (its arguments, every
Terraform file of the tree, the lock file, the backend file, the CLI configuration, the provider mirror and the
terraform binary) in the directory's `.terraform/`, and runs init again as soon as any of it differs or `.terraform`
is gone.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

STAMP_NAME = "vectora-init.sha256"


def fingerprint(
    directory: Path, terraform_root: Path, args: Sequence[str], binary: str, cli_config: str | None = None
) -> str:
    """A digest of everything `terraform init` with `args` reads in `directory` (modules under `terraform_root`,
    providers from `-plugin-dir` or the CLI configuration file `cli_config`)."""
    digest = hashlib.sha256()

    def add(label: str, data: bytes = b"") -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    add("args", "\0".join(args).encode())
    binary_stat = os.stat(binary)
    add(f"terraform {binary} {binary_stat.st_size} {binary_stat.st_mtime_ns}")
    tf_files = {path for path in terraform_root.rglob("*.tf") if ".terraform" not in path.parts}
    tf_files |= set(directory.glob("*.tf"))
    for path in sorted(tf_files) + [directory / ".terraform.lock.hcl", directory / "backend.hcl"]:
        add(str(path), path.read_bytes() if path.is_file() else b"(absent)")
    cli_config = cli_config or ""
    add("cli config " + cli_config, Path(cli_config).read_bytes() if cli_config and Path(cli_config).is_file() else b"")
    for arg in args:
        if arg.startswith("-plugin-dir="):
            mirror = Path(arg.split("=", 1)[1])
            for provider in sorted(mirror.glob("*/*/*/*/*/terraform-provider-*")):
                stat = provider.stat()
                add(f"provider {provider} {stat.st_size} {stat.st_mtime_ns}")
    return digest.hexdigest()


def is_current(directory: Path, stamp: str) -> bool:
    """True when the last successful init of `directory` saw exactly `stamp` and its working files are still there."""
    work = directory / ".terraform"
    stamp_file = work / STAMP_NAME
    return (
        stamp_file.is_file()
        and (work / "providers").is_dir()
        and (directory / ".terraform.lock.hcl").is_file()
        and stamp_file.read_text().strip() == stamp
    )


def record(directory: Path, stamp: str) -> None:
    """Remember a successful init (the lock file it wrote is part of the next fingerprint)."""
    (directory / ".terraform" / STAMP_NAME).write_text(stamp + "\n")
