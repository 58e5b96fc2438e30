"""Terraform's calls as the emulator records them, named from botocore's service models and mapped to what IAM
authorizes (the role checks in tests/test_role_policies.py stand on this)."""

from __future__ import annotations

import json

import boto3
from moto import mock_aws

from toolkit.iam_requests import calls_from_recording, requests_for

ACCOUNT = "123456789012"


def _terraform_entry(method: str, path: str) -> str:
    return json.dumps(
        {
            "method": method,
            "url": f"http://127.0.0.1:4566{path}",
            "headers": {
                "User-Agent": "APN/1.0 HashiCorp/1.0 Terraform/1.11.4 terraform-provider-aws/6.0.0",
                "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20261204/eu-west-3/s3/aws4_request, "
                "SignedHeaders=host, Signature=0",
            },
            "body": "",
        }
    )


def _resources(lines: list[str]) -> list[tuple[str, str]]:
    return [(r.action, r.resource) for r in requests_for(calls_from_recording(lines), ACCOUNT)]


def test_path_style_object_and_bucket_requests_name_the_bucket_and_the_key():
    lines = [
        _terraform_entry("PUT", "/vectora-inbox-artifacts-dev"),
        _terraform_entry("PUT", "/vectora-inbox-artifacts-dev/engine/abc.zip?x-id=PutObject"),
        _terraform_entry("HEAD", "/vectora-inbox-artifacts-dev/engine/abc.zip"),
    ]
    assert _resources(lines) == [
        ("s3:CreateBucket", "arn:aws:s3:::vectora-inbox-artifacts-dev"),
        ("s3:PutObject", "arn:aws:s3:::vectora-inbox-artifacts-dev/engine/abc.zip"),
        ("s3:GetObject", "arn:aws:s3:::vectora-inbox-artifacts-dev/engine/abc.zip"),
    ]


def test_an_s3_client_used_earlier_in_the_process_does_not_change_how_requests_are_named():
    # botocore strips `/{Bucket}` from the operation models of the S3 clients it makes once one calls; a parser
    # reading those models would take the bucket for the key.
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-3")
        s3.create_bucket(Bucket="scratch-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
        s3.put_object(Bucket="scratch-bucket", Key="k", Body=b"1")

    lines = [_terraform_entry("PUT", "/vectora-inbox-data-dev"), _terraform_entry("HEAD", "/vectora-inbox-data-dev/x")]
    assert _resources(lines) == [
        ("s3:CreateBucket", "arn:aws:s3:::vectora-inbox-data-dev"),
        ("s3:GetObject", "arn:aws:s3:::vectora-inbox-data-dev/x"),
    ]


def test_only_terraforms_own_requests_are_read():
    other = json.loads(_terraform_entry("PUT", "/bucket-of-the-toolkit"))
    other["headers"]["User-Agent"] = "Boto3/1.43 md/Botocore#1.43"
    assert calls_from_recording([json.dumps(other), _terraform_entry("PUT", "/tf-bucket")])[0].params == {
        "Bucket": "tf-bucket"
    }
