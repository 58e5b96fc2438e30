"""Every relative link of the documentation (README, ARCHITECTURE, docs/, the folders' READMEs) reaches a file, and
every #anchor a heading of that file, as GitHub renders them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from toolkit import REPO_ROOT

_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^(```|~~~)")


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*\*|\*|_(?=\W)|(?<=\W)_", "", heading.strip().lower())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _outside_code(text: str) -> list[str]:
    lines, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line.strip()):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    for line in _outside_code(path.read_text(encoding="utf-8")):
        match = re.match(r"#{1,6} (.+)", line)
        if match:
            anchor, n = github_anchor(match.group(1)), 1
            while anchor in found:  # a repeated heading gets -1, -2, ...
                anchor, n = f"{github_anchor(match.group(1))}-{n}", n + 1
            found.add(anchor)
    return found


def broken_links(root: Path, documents: list[str]) -> list[str]:
    broken = []
    for name in documents:
        source = root / name
        for line in _outside_code(source.read_text(encoding="utf-8")):
            for target in _LINK.findall(re.sub(r"`[^`]*`", "", line)):
                if re.match(r"[a-z][a-z0-9+.-]*:", target):
                    continue  # https:, mailto: and the like
                file_part, _, anchor = target.partition("#")
                destination = (source.parent / file_part).resolve() if file_part else source
                if not destination.exists():
                    broken.append(f"{name}: {target} (no such file)")
                elif anchor and destination.suffix == ".md" and anchor not in anchors(destination):
                    broken.append(f"{name}: {target} (no heading #{anchor} in {destination.relative_to(root)})")
    return broken


def markdown_documents(root: Path) -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z", "*.md"], cwd=root, capture_output=True, check=True).stdout
    return [name for name in listed.decode().split("\0") if name]


def test_every_link_and_anchor_of_the_documentation_resolves():
    documents = markdown_documents(REPO_ROOT)
    assert {"README.md", "ARCHITECTURE.md", "docs/release.md"} <= set(documents)
    assert broken_links(REPO_ROOT, documents) == []


def test_a_link_to_a_moved_section_is_reported(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "fleet.md").write_text("# Fleet\n\n## Shared work across clients\n")
    (tmp_path / "README.md").write_text(
        "# Title\n\n## Fleet\n\nSee [it](#fleet), [shared](docs/fleet.md#shared-work-across-clients),\n"
        "[gone](#onboarding), [moved](docs/fleet.md#onboarding) and [missing](docs/bench.md).\n"
        "```\n[not a link](#inside-code)\n```\n"
    )

    assert broken_links(tmp_path, ["README.md", "docs/fleet.md"]) == [
        "README.md: #onboarding (no heading #onboarding in README.md)",
        "README.md: docs/fleet.md#onboarding (no heading #onboarding in docs/fleet.md)",
        "README.md: docs/bench.md (no such file)",
    ]


def test_anchors_follow_githubs_rules():
    assert github_anchor("IAM as AWS would enforce it, for every role") == "iam-as-aws-would-enforce-it-for-every-role"
    assert github_anchor("Which subject the repository's tokens carry") == "which-subject-the-repositorys-tokens-carry"
    assert github_anchor("CI/CD and operations") == "cicd-and-operations"
    assert github_anchor("The `--dry-run` plan") == "the---dry-run-plan"
