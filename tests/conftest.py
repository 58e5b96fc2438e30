"""Shared fixtures: the engine on an in-process S3 emulator, fed by the sample-feed server."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
for path in (REPO_ROOT, REPO_ROOT / "lambda_src"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

LOCAL_ENV = json.loads((REPO_ROOT / "env" / "local.json").read_text())
LAMBDA_ENV = LOCAL_ENV["lambda_environment"]
REGION = LOCAL_ENV["aws_region"]


@pytest.fixture
def fake_aws_credentials(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def lambda_env(monkeypatch, fake_aws_credentials):
    """The local environment's Lambda variables, offline LLM unless a test says otherwise."""
    for name, value in LAMBDA_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LLM_BACKEND", "offline")
    return dict(LAMBDA_ENV, LLM_BACKEND="offline")


@pytest.fixture
def feed_server():
    from toolkit.sample_feeds import SampleFeedServer

    server = SampleFeedServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def s3(lambda_env, feed_server):
    """In-process S3 with the three engine buckets and the config pointed at the sample feeds."""
    import boto3
    from moto import mock_aws

    from toolkit.config_sync import sync_config

    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        for key in ("CONFIG_BUCKET", "DATA_BUCKET", "NEWSLETTERS_BUCKET"):
            client.create_bucket(Bucket=LAMBDA_ENV[key], CreateBucketConfiguration={"LocationConstraint": REGION})
        sync_config(client, LAMBDA_ENV["CONFIG_BUCKET"], feed_server.base_url)
        yield client


@pytest.fixture
def handler_module(s3):
    """The Lambda handler with a fresh container (no state kept from another test)."""
    import handler
    from vectora_core.llm import bedrock

    handler._runtime.clear()
    bedrock.reset_clients()
    yield handler
    handler._runtime.clear()
    bedrock.reset_clients()


class FakeContext:
    aws_request_id = "test-request"
    function_name = "vectora-inbox-engine-local"

    def __init__(self, remaining_ms: int = 900_000):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


@pytest.fixture
def context():
    return FakeContext()


def read_object(s3_client, bucket: str, key: str) -> bytes:
    return s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()


@pytest.fixture(autouse=True)
def _no_local_port_offset(monkeypatch):
    """Tests pick their own ports; a port offset set for the local services must not shift them."""
    monkeypatch.delenv("VECTORA_LOCAL_PORT_OFFSET", raising=False)
