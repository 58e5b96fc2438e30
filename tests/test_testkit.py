"""The test emulator itself: its state survives the in-process emulator other tests start and stop."""

from __future__ import annotations

import boto3
import pytest
from lambda_testkit import emulator
from moto import mock_aws

pytestmark = pytest.mark.slow


def test_in_process_mock_leaves_the_emulator_process_alone(emulator, monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    server = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{emulator}", region_name="us-east-1")
    server.create_bucket(Bucket="survives-mock-aws")
    with mock_aws():  # resets moto's in-process state when it starts and again when it stops
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="in-process-only")
    names = {b["Name"] for b in server.list_buckets()["Buckets"]}
    assert "survives-mock-aws" in names and "in-process-only" not in names
    server.delete_bucket(Bucket="survives-mock-aws")
