"""The local target: a published version's zip and configuration, run in a subprocess the way Lambda would."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from lambda_testkit import (
    GOOD_HANDLER,
    S3_HANDLER,
    code_sha256,
    create_function,
    emulator,
    fake_env,
    handler_zip,
    publish,
    upload_zip,
)

from toolkit.local import lambda_runner as local_lambda
from toolkit.local.lambda_runner import LocalLambdaError, invoke_local, select_interpreter
from toolkit.services import boto3_client

pytestmark = pytest.mark.slow

CONTEXT_HANDLER = """
import os


def lambda_handler(event, context):
    return {
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "environ": dict(os.environ),
        "cwd": os.getcwd(),
    }
"""

RAISING_HANDLER = """
def helper():
    raise ValueError("no newsletter today")


def lambda_handler(event, context):
    print("about to fail")
    helper()
"""

# Starts a grandchild that would outlive a plain kill of the handler's process, then sleeps past the timeout.
SLEEPING_HANDLER = """
import subprocess
import sys
import time


def lambda_handler(event, context):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    print(f"grandchild pid {child.pid}", flush=True)
    time.sleep(60)
"""

IMPORTS_UNBUNDLED_DEPENDENCY = """
import feedparser  # installed beside the toolkit, absent from the zip and from the Lambda runtime


def lambda_handler(event, context):
    return {"status": "ok"}
"""


def _process_gone(pid: int) -> bool:
    # A killed process may linger as a zombie until its new parent reaps it: that counts as gone.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def test_invocation_returns_the_handler_payload_with_lambda_log_lines(fake_env):
    create_function(fake_env, handler_zip(GOOD_HANDLER))

    result = invoke_local(fake_env, "live", {"client_id": "lai_weekly_v3", "force_regenerate": True})

    assert result.status_code == 200 and result.function_error is None
    assert result.payload["status"] == "ok"
    lines = result.log_text.splitlines()
    assert lines[0] == f"START RequestId: {result.request_id} Version: 1"
    assert lines[-2] == f"END RequestId: {result.request_id}"
    assert re.match(
        rf"REPORT RequestId: {result.request_id}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\t"
        rf"Memory Size: 512 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms$",
        lines[-1],
    )
    assert any("Newsletter sauvegardée en cache" in line for line in lines)


def test_handler_reaches_the_emulator_through_the_standard_endpoint_variables(fake_env):
    create_function(fake_env, handler_zip(S3_HANDLER))

    result = invoke_local(fake_env, "live", {"key": "cache/lai_weekly_v3/3.json"})

    assert result.payload == {"status": "ok"}, result.log_text
    bucket = fake_env.lambda_environment["NEWSLETTERS_BUCKET"]
    keys = [item["Key"] for item in boto3_client(fake_env, "s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["cache/lai_weekly_v3/3.json"]


def test_context_and_environment_describe_the_version_the_alias_resolves_to(fake_env):
    create_function(fake_env, handler_zip(CONTEXT_HANDLER), timeout=20)
    publish(fake_env, handler_zip(CONTEXT_HANDLER, "second version"))  # $LATEST moves on, live stays on 1

    result = invoke_local(fake_env, "live", {})

    seen = result.payload
    assert seen["function_version"] == "1" and result.executed_version == "1"
    assert seen["invoked_function_arn"].endswith(f":function:{fake_env.function_name}:live")
    assert seen["request_id"] == result.request_id
    assert seen["memory_limit_in_mb"] == fake_env.memory_size
    assert seen["log_group_name"] == f"/aws/lambda/{fake_env.function_name}"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[1\][0-9a-f]{32}", seen["log_stream_name"])
    assert seen["log_stream_name"] == result.log_stream
    assert 0 < seen["remaining_ms"] <= 20_000
    environ = seen["environ"]
    assert environ["NEWSLETTERS_BUCKET"] == fake_env.lambda_environment["NEWSLETTERS_BUCKET"]
    assert environ["AWS_ENDPOINT_URL"] == fake_env.emulator_url()
    assert environ["AWS_LAMBDA_FUNCTION_VERSION"] == "1"
    assert Path(seen["cwd"]) == Path(environ["LAMBDA_TASK_ROOT"])


def test_handler_sees_only_its_zip_the_runtime_packages_and_the_standard_library(fake_env):
    create_function(fake_env, handler_zip(IMPORTS_UNBUNDLED_DEPENDENCY))

    result = invoke_local(fake_env, "live", {})

    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Runtime.ImportModuleError"
    assert "No module named 'feedparser'" in result.payload["errorMessage"]


def test_handler_exception_gives_lambdas_unhandled_error_shape(fake_env):
    create_function(fake_env, handler_zip(RAISING_HANDLER))

    result = invoke_local(fake_env, "live", {})

    assert result.status_code == 200
    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "ValueError"
    assert result.payload["errorMessage"] == "no newsletter today"
    assert result.payload["requestId"] == result.request_id
    assert any("in helper" in frame for frame in result.payload["stackTrace"])
    assert "[ERROR] ValueError: no newsletter today" in result.log_text
    assert "about to fail" in result.log_text


def test_timeout_kills_the_whole_process_group_and_reports_lambdas_timeout(fake_env):
    create_function(fake_env, handler_zip(SLEEPING_HANDLER), timeout=1)

    result = invoke_local(fake_env, "live", {})

    assert result.function_error == "Unhandled"
    assert result.payload["errorType"] == "Sandbox.Timedout"
    assert result.payload["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert f"{result.request_id} Task timed out after 1.00 seconds" in result.log_text
    assert "Status: timeout" in result.log_text.splitlines()[-1]
    grandchild = int(re.search(r"grandchild pid (\d+)", result.log_text).group(1))
    assert _process_gone(grandchild)


def test_log_lines_land_in_the_function_log_group_in_one_stream_in_order(fake_env):
    create_function(fake_env, handler_zip(GOOD_HANDLER))

    result = invoke_local(fake_env, "live", {"client_id": "lai_weekly_v3"})

    events = boto3_client(fake_env, "logs").get_log_events(
        logGroupName=fake_env.log_group, logStreamName=result.log_stream, startFromHead=True
    )["events"]
    assert [event["message"] for event in events] == result.log_text.splitlines()
    timestamps = [event["timestamp"] for event in events]
    assert timestamps == sorted(timestamps)


def test_code_is_found_by_its_metadata_when_stored_under_another_key(fake_env):
    create_function(fake_env, handler_zip(GOOD_HANDLER), key=f"{fake_env.function_name}/first-upload.zip")

    result = invoke_local(fake_env, "live", {"client_id": "lai_weekly_v3"})

    assert result.payload["status"] == "ok"


def test_version_whose_zip_is_not_in_the_artifacts_bucket_is_refused(fake_env):
    key = upload_zip(fake_env, handler_zip(GOOD_HANDLER))
    create_function(fake_env, handler_zip(GOOD_HANDLER), key=key)
    boto3_client(fake_env, "s3").delete_object(Bucket=fake_env.artifacts_bucket, Key=key)

    with pytest.raises(LocalLambdaError, match="no artifact for CodeSha256"):
        invoke_local(fake_env, "live", {})


def test_unknown_qualifier_is_refused(fake_env):
    create_function(fake_env, handler_zip(GOOD_HANDLER))

    with pytest.raises(LocalLambdaError, match="no version 7"):
        invoke_local(fake_env, "7", {})


def test_missing_function_names_the_command_to_run_first(fake_env):
    with pytest.raises(LocalLambdaError, match=r"run `invoke tf.apply` first"):
        invoke_local(fake_env, "live", {})


def test_interpreter_of_the_runtime_version_is_the_toolkits_own_when_it_matches():
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"

    assert select_interpreter(runtime, printer=lambda line: None) == sys.executable


def test_missing_runtime_interpreter_falls_back_with_a_warning(monkeypatch):
    monkeypatch.setattr(local_lambda.shutil, "which", lambda name: None)
    warnings = []

    chosen = select_interpreter("python3.99", printer=warnings.append)

    assert chosen == sys.executable
    assert warnings and "no working python3.99 interpreter" in warnings[0]


def test_only_the_most_recently_used_unpacked_versions_are_kept(fake_env, tmp_path, monkeypatch):
    monkeypatch.setattr(local_lambda, "KEEP_UNPACKED", 1)
    s3 = boto3_client(fake_env, "s3")
    first, second = handler_zip(GOOD_HANDLER, "one"), handler_zip(GOOD_HANDLER, "two")
    for body in (first, second):
        upload_zip(fake_env, body)
    cache = tmp_path / "unpacked"

    old = local_lambda.fetch_code(s3, fake_env.artifacts_bucket, fake_env.function_name, code_sha256(first), cache)
    new = local_lambda.fetch_code(s3, fake_env.artifacts_bucket, fake_env.function_name, code_sha256(second), cache)

    assert not old.exists()
    assert (new / "handler.py").read_text().endswith("# two\n")


def test_runtime_interpreter_on_path_is_resolved_to_its_real_executable(monkeypatch, tmp_path):
    # A version-manager shim only works from some directories; the function must get the binary behind it.
    shim = tmp_path / "python3.99"
    real = tmp_path / "versions" / "python3.99"
    shim.write_text(f"#!/bin/sh\nexec {sys.executable} -c \"print('3.99'); print('{real}')\"\n")
    shim.chmod(0o755)
    monkeypatch.setattr(local_lambda.shutil, "which", lambda name: str(shim))

    assert select_interpreter("python3.99", printer=lambda line: None) == str(real)


# --- warm execution environments, as Lambda keeps them ---------------------------------------------------------

COUNTING_HANDLER = """
import os
import time

INIT_AT = time.time()  # module state: kept while the environment is warm
calls = []


def lambda_handler(event, context):
    calls.append(context.aws_request_id)
    return {"calls": len(calls), "pid": os.getpid(), "init_at": INIT_AT, "tmp": os.environ.get("TMPDIR")}
"""


@pytest.fixture
def warm_env(fake_env, monkeypatch):
    monkeypatch.delenv("VECTORA_LAMBDA_COLD", raising=False)
    monkeypatch.setenv("VECTORA_LAMBDA_IDLE_SECONDS", "30")
    yield fake_env
    from toolkit.local import warm

    warm.stop_all(local_lambda.FUNCTIONS_DIR.parent / "warm")


def test_a_second_invocation_of_a_version_reuses_its_warm_environment(warm_env):
    create_function(warm_env, handler_zip(COUNTING_HANDLER))

    first = invoke_local(warm_env, "live", {})
    second = invoke_local(warm_env, "1", {})  # the same version, through its number

    assert first.payload["calls"] == 1 and second.payload["calls"] == 2
    assert second.payload["pid"] == first.payload["pid"] and second.payload["init_at"] == first.payload["init_at"]
    assert "Init Duration" in first.log_text.splitlines()[-1]
    assert "Init Duration" not in second.log_text.splitlines()[-1]  # Lambda reports init only for a cold start
    assert second.request_id != first.request_id


def test_a_new_version_gets_an_environment_of_its_own(warm_env):
    create_function(warm_env, handler_zip(COUNTING_HANDLER))
    first = invoke_local(warm_env, "live", {})
    publish(warm_env, handler_zip(COUNTING_HANDLER, "second version"))

    other = invoke_local(warm_env, "2", {})

    assert other.payload["calls"] == 1 and other.payload["pid"] != first.payload["pid"]


def test_cold_only_starts_every_invocation_in_a_new_process(warm_env, monkeypatch):
    monkeypatch.setenv("VECTORA_LAMBDA_COLD", "1")
    create_function(warm_env, handler_zip(COUNTING_HANDLER))

    first, second = invoke_local(warm_env, "live", {}), invoke_local(warm_env, "live", {})

    assert first.payload["calls"] == second.payload["calls"] == 1
    assert "Init Duration" in second.log_text.splitlines()[-1]


def test_a_timed_out_environment_is_not_reused(warm_env):
    create_function(
        warm_env,
        handler_zip(SLEEPING_HANDLER.replace("time.sleep(60)\n", "time.sleep(60 if event else 0)\n")),
        timeout=1,
    )

    timed_out = invoke_local(warm_env, "live", {"sleep": True})
    after = invoke_local(warm_env, "live", {})

    assert timed_out.payload["errorType"] == "Sandbox.Timedout"
    assert "grandchild pid" in timed_out.log_text  # what it printed before the deadline is in its log
    assert after.function_error is None and "Init Duration" in after.log_text.splitlines()[-1]
