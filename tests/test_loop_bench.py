"""`invoke loop-bench`'s parts that need no suite or demo run: reading pytest's output, ranking modules, the fresh
copy of the checkout, the ports of its services and the printed table."""

from __future__ import annotations

import json
import socket
import subprocess

import pytest
from invoke import Exit, MockContext

import tasks
from toolkit.drivers import loop_bench


def test_pytest_counts_come_from_the_last_summary_line():
    output = "....\n[100%]\n3 failed, 919 passed, 3 skipped, 1 error in 98.20s (0:01:38)\nrandom test order, seed 7\n"

    assert loop_bench.pytest_counts(output) == {"failed": 3, "passed": 919, "skipped": 3, "error": 1}
    assert loop_bench.pytest_counts("no summary here\n") == {}


def test_modules_are_ranked_by_the_seconds_their_tests_took(tmp_path):
    report = tmp_path / "report.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.test_fast" name="a" time="0.5"/>'
        '<testcase classname="tests.test_slow" name="b" time="30.0"/>'
        '<testcase classname="tests.test_slow" name="c" time="12.5"/>'
        "</testsuite></testsuites>"
    )

    assert loop_bench.module_seconds(report) == [("test_slow.py", 42.5, 2), ("test_fast.py", 0.5, 1)]


def test_the_copy_holds_what_git_sees_and_nothing_ignored(tmp_path):
    repo = tmp_path / "repo"
    (repo / "terraform" / "envs" / "local").mkdir(parents=True)
    (repo / ".gitignore").write_text(".local/\nterraform/**/terraform.tfstate*\n")
    (repo / "README.md").write_text("tracked\n")
    (repo / "terraform" / "envs" / "local" / "main.tf").write_text("# new, not yet committed\n")
    (repo / "terraform" / "envs" / "local" / "terraform.tfstate").write_text("{}")
    (repo / ".local").mkdir()
    (repo / ".local" / "emulator.pid").write_text("1")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "README.md", ".gitignore"], cwd=repo, check=True)

    copy = loop_bench.copy_checkout(repo, tmp_path / "copy")

    assert sorted(str(p.relative_to(copy)) for p in copy.rglob("*") if p.is_file()) == [
        ".gitignore",
        "README.md",
        "terraform/envs/local/main.tf",
    ]


def test_the_copy_gets_ports_nothing_listens_on():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        base = [port - 100, port - 99, port - 98]

        offset = loop_bench.free_port_offset(base, start=100, step=10)

    assert offset >= 110 and all(p + offset != port for p in base)


def test_the_report_sets_each_figure_against_its_target_and_names_a_busy_machine():
    timing = {"returncode": 0, "cpu_seconds": 150.0, "load_before": 0.4, "load_after": 3.5}
    results = {
        "cores": 2,
        "suite": {
            "timing": {**timing, "seconds": 101.3},
            "tests": {"passed": 930, "skipped": 3},
            "slowest_modules": [["test_any_order.py", 61.0, 5]],
        },
        "demo_warm": {"timing": {**timing, "seconds": 14.2, "returncode": 1, "busy_before": 0.62}},
    }

    lines = loop_bench.report_lines(results)

    assert any(line.startswith("make test (whole suite)") and "101.3" in line and "≤ 120" in line for line in lines)
    assert any("930 passed, 3 skipped" in line for line in lines)
    assert any(line.startswith("make demo, warm") and "FAILED (exit 1)" in line for line in lines)
    assert any("the machine was busy before a figure (over 25% of its 2 cores in use" in line for line in lines)
    assert "     61.0 s  test_any_order.py (5 tests)" in lines


def test_a_load_the_figure_itself_made_does_not_count_as_a_busy_machine():
    # the load average still counts the suite that just ended; the CPU sampled before the next figure does not
    timing = {
        "returncode": 0,
        "cpu_seconds": 19.0,
        "seconds": 13.0,
        "load_before": 4.1,
        "load_after": 4.5,
        "busy_before": 0.02,
    }

    lines = loop_bench.report_lines({"cores": 2, "fast_subset": {"timing": timing}})

    assert not any("machine was busy" in line for line in lines) and "2%" in lines[1]


def test_the_cpu_in_use_before_a_figure_is_sampled_from_proc_stat(monkeypatch):
    samples = iter([(1000, 5000), (1150, 5300)])  # (busy, total) jiffies: 150 of 300 busy
    monkeypatch.setattr(loop_bench, "_cpu_jiffies", lambda: next(samples))

    assert loop_bench.busy_fraction(seconds=0) == 0.5


def test_main_writes_the_figures_under_local_by_default(tmp_path, monkeypatch):
    measured = {"timing": {"seconds": 9.0, "cpu_seconds": 12.0, "returncode": 0, "load_before": 0, "load_after": 0}}
    monkeypatch.setattr(loop_bench, "measure_tests", lambda target, repo, scratch: dict(measured, target=target))
    lines: list[str] = []

    results = loop_bench.main(lines.append, only="fast", repo=tmp_path)

    written = json.loads((tmp_path / ".local" / "bench" / "loop.json").read_text())
    assert written["fast_subset"]["target"] == "test-fast" == results["fast_subset"]["target"]
    assert "suite" not in written and "demo_warm" not in written
    assert lines[-1] == "figures written to .local/bench/loop.json"


def test_the_task_refuses_an_unknown_part():
    with pytest.raises(Exit) as exit_:
        tasks.loop_bench(MockContext(), only="everything")

    assert (exit_.value.code, exit_.value.message) == (1, "error: --only takes suite, fast, demo, not 'everything'")
