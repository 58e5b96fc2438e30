"""AWS clients and process environments for an environment: AWS itself, or the emulator of the local target.

Starting and stopping the local services is the local stand-ins' business (`toolkit.local.services`); the release
toolkit reaches them through `toolkit.local_target`.
"""

from __future__ import annotations

from .envfile import EnvFile

TEST_CREDENTIALS = {
    # The emulator accepts any credentials; fixed fake ones keep real ones out of local runs.
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def service_url(env: EnvFile, name: str) -> str:
    return f"http://127.0.0.1:{env.service_port(name)}"


def aws_environment(env: EnvFile) -> dict[str, str]:
    """Process environment that points boto3, Terraform and the engine at the emulator and stand-in."""
    if not env.emulator:
        return {"AWS_DEFAULT_REGION": env.aws_region, "AWS_REGION": env.aws_region}
    return {
        **TEST_CREDENTIALS,
        "AWS_DEFAULT_REGION": env.aws_region,
        "AWS_REGION": env.aws_region,
        "AWS_ENDPOINT_URL": service_url(env, "emulator"),
        # The service-specific variable wins over AWS_ENDPOINT_URL: Bedrock calls go to the stand-in.
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": service_url(env, "bedrock_standin"),
    }


def boto3_client(env: EnvFile, service: str, region: str | None = None, *, agent: str | None = None):
    """A boto3 client for the environment: the emulator for local, the default chain for AWS.

    `agent` is added to the user agent: the local target marks the calls it makes in the Lambda service's stead.
    """
    import boto3
    from botocore.config import Config

    region = region or env.aws_region
    config = Config(user_agent_extra=agent) if agent else None
    if not env.emulator:
        env.require_resolved()
        return boto3.client(service, region_name=region, config=config)
    aws_env = aws_environment(env)
    return boto3.client(
        service,
        region_name=region,
        config=config,
        endpoint_url=aws_env["AWS_ENDPOINT_URL_BEDROCK_RUNTIME"]
        if service == "bedrock-runtime"
        else aws_env["AWS_ENDPOINT_URL"],
        aws_access_key_id=TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=TEST_CREDENTIALS["AWS_SESSION_TOKEN"],
    )
