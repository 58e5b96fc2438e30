"""Naming a request of the emulator's log from botocore's models, whatever clients of this process did before."""

from __future__ import annotations

import json

import boto3
from moto import mock_aws

from toolkit.iam_requests import calls_from_recording

SIGNED = "AWS4-HMAC-SHA256 Credential=testing/20250101/eu-west-3/s3/aws4_request, SignedHeaders=host, Signature=x"


def logged(method: str, path: str) -> str:
    headers = {"User-Agent": "APN/1.0 HashiCorp/1.0 Terraform/1.11.0", "Authorization": SIGNED}
    return json.dumps({"method": method, "url": f"http://127.0.0.1:5055{path}", "headers": headers, "body": ""})


def test_s3_requests_keep_their_bucket_after_a_client_of_this_process_called_the_same_operations(fake_aws_credentials):
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-3")
        s3.create_bucket(Bucket="probe-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
        s3.put_object(Bucket="probe-bucket", Key="k", Body=b"x")
        s3.head_object(Bucket="probe-bucket", Key="k")
        s3.head_bucket(Bucket="probe-bucket")

    calls = calls_from_recording([logged("HEAD", "/artifacts/engine.zip"), logged("HEAD", "/artifacts")])

    assert [(c.operation, c.params) for c in calls] == [
        ("HeadObject", {"Bucket": "artifacts", "Key": "engine.zip"}),
        ("HeadBucket", {"Bucket": "artifacts"}),
    ]
