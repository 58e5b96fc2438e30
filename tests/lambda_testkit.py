"""Test support for deploy, smoke, rollback, logs and the local target: an emulator on an ephemeral port, an
environment pointing at it, and tiny function zips standing in for the engine.

Import the fixtures into a test module (`from lambda_testkit import emulator, fake_env, ...`).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import io
import textwrap
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from toolkit.envfile import EnvFile, load_env
from toolkit.local import lambda_runner as local_lambda
from toolkit.services import boto3_client

FUNCTION_ROLE = "vectora-inbox-test-role"

# Stands in for the engine: logs the phrases the smoke test looks for, keeps its cache in a directory the
# test names (no boto3 import: each invocation is a cold start, and the tests stay fast).
GOOD_HANDLER = """
import json
import os
import time
from pathlib import Path


def log(message, **fields):
    print(json.dumps({"level": "INFO", "message": message, **fields}, ensure_ascii=False), flush=True)


def lambda_handler(event, context):
    env = os.environ
    log(f"Client Bedrock hybride : normalization → {env['BEDROCK_REGION_NORMALIZATION']}",
        model_id=env["BEDROCK_MODEL_ID_NORMALIZATION"])
    log(f"Client Bedrock hybride : newsletter → {env['BEDROCK_REGION_NEWSLETTER']}",
        model_id=env["BEDROCK_MODEL_ID_NEWSLETTER"])
    cached = Path(env["TEST_CACHE_DIR"]) / f"{event['client_id']}-{event.get('period_days', 7)}.json"
    if not event.get("force_regenerate") and cached.exists():
        log("Newsletter récupérée depuis cache S3", key=cached.name)
        return {"status": "ok", "cache": "hit"}
    time.sleep(0.2)  # the editorial generation a cache hit saves
    cached.write_text("{}")
    log("Newsletter sauvegardée en cache", key=cached.name)
    return {
        "status": "ok",
        "cache": "bypass" if event.get("force_regenerate") else "miss",
        "editorial": {"backend": "bedrock", "model_id": env["BEDROCK_MODEL_ID_NEWSLETTER"],
                      "region": env["BEDROCK_REGION_NEWSLETTER"], "degraded": False},
    }
"""

# Writes to the newsletters bucket: it reaches the emulator only through the standard endpoint variables.
S3_HANDLER = """
import os

import boto3


def lambda_handler(event, context):
    boto3.client("s3").put_object(Bucket=os.environ["NEWSLETTERS_BUCKET"], Key=event["key"], Body=b"{}")
    return {"status": "ok"}
"""

BROKEN_HANDLER = """
def lambda_handler(event, context):
    raise RuntimeError("deliberately broken build")
"""


def make_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in sorted(files.items()):
            archive.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), textwrap.dedent(text))
    return buffer.getvalue()


def handler_zip(source: str, marker: str = "") -> bytes:
    """A function zip with `handler.py`; `marker` changes the bytes without changing the behaviour."""
    return make_zip({"handler.py": source + (f"\n# {marker}\n" if marker else "")})


def code_sha256(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


@dataclass(frozen=True)
class FakePackage:
    """What `toolkit.packaging.build_package` returns, as far as deploy reads it."""

    path: Path
    sha256: str
    size_bytes: int
    skipped: bool = False


def fake_package(directory: Path, body: bytes) -> FakePackage:
    sha = hashlib.sha256(body).hexdigest()
    path = directory / f"vectora-inbox-engine-{sha[:16]}.zip"
    path.write_bytes(body)
    return FakePackage(path, sha, len(body))


def builder(package: FakePackage):
    """A `build` callable for `deploy` returning a fixed package."""
    return lambda env, printer: package


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def emulator_process():
    """A moto server in its own process on a free loopback port; yields the port.

    Its own process, not a thread: moto keeps one state per process, and the in-process `mock_aws` of other
    tests resets that state when it starts and stops, which would wipe whatever a module built on the server.
    """
    import subprocess
    import sys
    import time

    for _attempt in range(3):
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "toolkit.local.emulator", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/data.json", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        if process.poll() is None and time.monotonic() < deadline:
            break
        process.kill()
        process.wait()
    else:
        raise RuntimeError("the moto server did not start on loopback")
    try:
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def reset_emulator(port: int) -> None:
    """Empty every service of the emulator on `port`."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).read()


@pytest.fixture(scope="session")
def emulator():
    """A moto server on an ephemeral loopback port, for this test process."""
    with emulator_process() as port:
        yield port


@pytest.fixture
def fake_env(emulator, tmp_path, monkeypatch) -> EnvFile:
    """The local environment pointed at the test emulator, emptied, with its buckets and log group created.

    Every local service port points at the emulator, so `ensure_services` finds them all listening and starts
    nothing. The local target caches unpacked zips under the test's temporary directory.
    """
    reset_emulator(emulator)
    monkeypatch.setattr(local_lambda, "FUNCTIONS_DIR", tmp_path / "functions")
    monkeypatch.setattr(local_lambda, "RUNTIME_DIR", tmp_path / "lambda-runtime")
    base = load_env("local")
    cache_dir = tmp_path / "newsletter-cache"
    cache_dir.mkdir()
    env = dataclasses.replace(
        base,
        local_services={"emulator_port": emulator, "bedrock_standin_port": emulator, "sample_feeds_port": emulator},
        lambda_environment={**base.lambda_environment, "TEST_CACHE_DIR": str(cache_dir)},
    )
    s3 = boto3_client(env, "s3")
    for bucket in (
        env.artifacts_bucket,
        env.lambda_environment["NEWSLETTERS_BUCKET"],
        env.lambda_environment["CONFIG_BUCKET"],
    ):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": env.aws_region})
    boto3_client(env, "logs").create_log_group(logGroupName=env.log_group)
    return env


def upload_zip(env: EnvFile, body: bytes, key: str | None = None) -> str:
    """Put a zip in the artifacts bucket the way deploy and Terraform do; returns its key."""
    key = key or local_lambda.artifact_key(env.function_name, hashlib.sha256(body).hexdigest())
    boto3_client(env, "s3").put_object(
        Bucket=env.artifacts_bucket, Key=key, Body=body, Metadata={"code-sha256": code_sha256(body)}
    )
    return key


def create_function(env: EnvFile, body: bytes, *, timeout: int = 30, key: str | None = None) -> dict:
    """What Terraform's first apply leaves: the function from the artifacts bucket, version 1, `live` → 1."""
    key = upload_zip(env, body, key)
    iam = boto3_client(env, "iam")
    role = iam.create_role(RoleName=FUNCTION_ROLE, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lambda_client = boto3_client(env, "lambda")
    created = lambda_client.create_function(
        FunctionName=env.function_name,
        Runtime=env.runtime,
        Role=role,
        Handler=env.handler,
        Code={"S3Bucket": env.artifacts_bucket, "S3Key": key},
        Timeout=timeout,
        MemorySize=env.memory_size,
        Environment={"Variables": env.lambda_environment},
        Publish=True,
    )
    lambda_client.create_alias(FunctionName=env.function_name, Name=env.alias_name, FunctionVersion=created["Version"])
    return created


def publish(env: EnvFile, body: bytes) -> str:
    """Publish another version straight from a zip, bypassing deploy (no smoke test); returns its number."""
    key = upload_zip(env, body)
    lambda_client = boto3_client(env, "lambda")
    lambda_client.update_function_code(FunctionName=env.function_name, S3Bucket=env.artifacts_bucket, S3Key=key)
    return lambda_client.publish_version(FunctionName=env.function_name)["Version"]


def live_version(env: EnvFile) -> str:
    return boto3_client(env, "lambda").get_alias(FunctionName=env.function_name, Name=env.alias_name)["FunctionVersion"]


@contextlib.contextmanager
def local_services(emulator_port: int, standin_latency_ms: int = 0):
    """The local environment on ephemeral ports: the emptied test emulator, a Bedrock stand-in and the sample
    feeds. Yields (env, feeds, standin)."""
    from toolkit.local.bedrock_standin import BedrockStandIn
    from toolkit.local.sample_feeds import SampleFeedServer

    reset_emulator(emulator_port)
    feeds = SampleFeedServer().start()
    standin = BedrockStandIn(latency_ms=standin_latency_ms).start()
    env = dataclasses.replace(
        load_env("local"),
        local_services={
            "emulator_port": emulator_port,
            "bedrock_standin_port": standin.port,
            "sample_feeds_port": feeds.port,
        },
    )
    try:
        yield env, feeds, standin
    finally:
        standin.stop()
        feeds.stop()


def engine_buckets_with_config(env: EnvFile):
    """The engine's three buckets and the client config (feeds pointed at the env's sample server), created
    directly: for tests that build their own function around the engine instead of applying Terraform."""
    from toolkit.config_sync import sync_config
    from toolkit.local.endpoints import service_url

    s3 = boto3_client(env, "s3")
    for variable in ("CONFIG_BUCKET", "DATA_BUCKET", "NEWSLETTERS_BUCKET"):
        s3.create_bucket(
            Bucket=env.lambda_environment[variable], CreateBucketConfiguration={"LocationConstraint": env.aws_region}
        )
    sync_config(s3, env.lambda_environment["CONFIG_BUCKET"], service_url(env, "sample_feeds"))
    return s3


def edit_client_config(s3, bucket: str, edit, client_id: str = "lai_weekly_v3") -> dict:
    """Load a client's config from the config bucket, let `edit(config)` change it in place, write it back."""
    import yaml

    key = f"clients/{client_id}.yaml"
    config = yaml.safe_load(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    edit(config)
    s3.put_object(Bucket=bucket, Key=key, Body=yaml.safe_dump(config).encode())
    return config


@contextlib.contextmanager
def loopback_http_server(handler_class, server_class=None):
    """A threaded HTTP server on an ephemeral loopback port serving `handler_class`; yields the server with
    its `base_url`."""
    import threading
    from http.server import ThreadingHTTPServer

    server = (server_class or ThreadingHTTPServer)(("127.0.0.1", 0), handler_class)
    server.daemon_threads = True
    server.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def live_on_second_version(env: EnvFile, directory: Path, source: str = GOOD_HANDLER):
    """The usual starting point of a rollback test: version 1 as Terraform leaves it, then a real deploy of
    version 2 (smoke-tested, `live` moved). Returns deploy's result for version 2."""
    from toolkit.deploy import deploy

    create_function(env, handler_zip(source))
    return deploy(env, build=builder(fake_package(directory, handler_zip(source, "v2"))), printer=lambda line: None)
