"""The deploy lease in every exit path: a killed step, a release the bucket refuses, a stop signal from CI."""

from __future__ import annotations

import os
import signal
import time

import boto3
import pytest
from botocore.stub import Stubber

from toolkit.deploy_lease import LeaseNotReleased, deploy_lease, lease_key

QUIET = {"printer": lambda _line: None}


@pytest.fixture
def lease_bucket(fake_aws_credentials):
    from moto import mock_aws

    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-3")
        s3.create_bucket(Bucket="artifacts-test", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
        yield s3


def _held(s3) -> bool:
    return s3.list_objects_v2(Bucket="artifacts-test").get("KeyCount", 0) > 0


def test_a_stop_signal_during_a_release_step_releases_the_lease(lease_bucket):
    # GitHub Actions cancels a job with SIGINT, then SIGTERM: Python's default for SIGTERM ends the process without
    # running `finally`, which would leave the lease to block the next runner for an hour.
    with pytest.raises(SystemExit) as stopped:
        with deploy_lease(lease_bucket, "artifacts-test", "fn", "deploy", **QUIET):
            assert _held(lease_bucket)
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises before this ends
    assert stopped.value.code == 128 + signal.SIGTERM
    assert not _held(lease_bucket)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the previous handler is back


def test_a_release_the_bucket_refuses_says_in_one_line_how_to_break_the_lease(fake_aws_credentials):
    s3 = boto3.client("s3", region_name="eu-west-3")
    printed: list[str] = []
    with Stubber(s3) as stubber:
        stubber.add_response("put_object", {"ETag": '"abc"'})
        stubber.add_client_error("delete_object", "AccessDenied", "not authorized to perform s3:DeleteObject", 403)
        with pytest.raises(LeaseNotReleased) as refused:
            with deploy_lease(s3, "artifacts-test", "fn", "rollback", printer=printed.append):
                pass
    message = str(refused.value)
    assert "\n" not in message and "AccessDenied" in message
    assert f"s3://artifacts-test/{lease_key('fn')}" in message and "--break-lease" in message


def test_a_refused_release_does_not_hide_the_error_of_the_step_that_failed(fake_aws_credentials):
    s3 = boto3.client("s3", region_name="eu-west-3")
    printed: list[str] = []
    with Stubber(s3) as stubber:
        stubber.add_response("put_object", {"ETag": '"abc"'})
        stubber.add_client_error("delete_object", "AccessDenied", "denied", 403)
        with pytest.raises(RuntimeError, match="the smoke test failed"):
            with deploy_lease(s3, "artifacts-test", "fn", "deploy", printer=printed.append):
                raise RuntimeError("the smoke test failed")
    assert any("--break-lease" in line for line in printed)
