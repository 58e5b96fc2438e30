"""`invoke tf.bootstrap --env ENV`: the one thing Terraform cannot create for itself, its state bucket.

Creates `vectora-inbox-tfstate-<account id>-<Region>` (versioned, default encryption, public access blocked;
a name no other account can hold) unless it exists, and writes `terraform/envs/<env>/backend.hcl` pointing at it
with native S3 state locking (`use_lockfile`). Running it again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from . import REPO_ROOT
from .envfile import EnvFile, load_env
from .errors import ToolkitError
from .services import boto3_client
from .target import STATE_BUCKET, open_target

STATE_KEY = "vectora-inbox/{env}/terraform.tfstate"


class BootstrapError(ToolkitError, RuntimeError):
    """The state bucket cannot be created or is not ours."""


def state_bucket_name(account_id: str, region: str) -> str:
    return f"vectora-inbox-tfstate-{account_id}-{region}"


def backend_file_text(bucket: str, env_name: str, region: str) -> str:
    return (
        "# Written by invoke tf.bootstrap; passed to `terraform init` by invoke tf.plan / tf.apply. Not committed.\n"
        f'bucket       = "{bucket}"\n'
        f'key          = "{STATE_KEY.format(env=env_name)}"\n'
        f'region       = "{region}"\n'
        "encrypt      = true\n"
        "use_lockfile = true # native S3 state locking: a conditional-write lock object beside the state\n"
    )


def bootstrap_state(
    env_name: str | EnvFile | None = None,
    printer: Callable[[str], None] = print,
    *,
    repo_root: Path | None = None,
    s3=None,
    sts=None,
    dry_run: bool = False,
) -> str:
    """Create the state bucket if needed, write backend.hcl; return the bucket name (`dry_run`: print what it
    would create and write, and do neither)."""
    env = env_name if isinstance(env_name, EnvFile) else load_env(env_name)
    no_state_bucket = open_target(env).skips(STATE_BUCKET)
    if no_state_bucket:
        raise BootstrapError(f"{env.name} {no_state_bucket}: nothing to bootstrap")
    directory = Path(repo_root or REPO_ROOT) / "terraform" / "envs" / env.name
    sts = sts or boto3_client(env, "sts")
    s3 = s3 or boto3_client(env, "s3")
    account = sts.get_caller_identity()["Account"]
    bucket = state_bucket_name(account, env.aws_region)
    if dry_run:
        from .dry_run import bootstrap_plan

        text = backend_file_text(bucket, env.name, env.aws_region)
        return bootstrap_plan(s3, bucket, account, directory / "backend.hcl", text, printer)
    try:
        s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=account)
        printer(f"  state bucket s3://{bucket} exists")
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if code not in ("404", "NoSuchBucket", "NotFound"):
            raise BootstrapError(
                f"state bucket {bucket} cannot be used ({code or exc}); check the credentials' account"
            ) from None
        location = (
            {}
            if env.aws_region == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": env.aws_region}}
        )
        s3.create_bucket(Bucket=bucket, **location)
        printer(f"  created state bucket s3://{bucket}")
    # Versions let a damaged state be recovered; the state holds resource ids, so it stays private.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}, ExpectedBucketOwner=account)
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
        ExpectedBucketOwner=account,
    )
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
        ExpectedBucketOwner=account,
    )
    backend = directory / "backend.hcl"
    text = backend_file_text(bucket, env.name, env.aws_region)
    if backend.is_file() and backend.read_text() != text:
        printer(f"  kept terraform/envs/{env.name}/backend.hcl (it differs; the bucket above is {bucket})")
    else:
        backend.write_text(text)
        printer(f"  wrote terraform/envs/{env.name}/backend.hcl (use_lockfile = true)")
    return bucket
