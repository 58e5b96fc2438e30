"""Where the local services listen, and the clients and process environment that reach them.

The emulator answers every AWS service on one port; Bedrock's runtime calls go to the stand-in on its own port.
The emulator accepts any credentials: fixed fake ones keep real ones out of local runs.
"""

from __future__ import annotations

from ..envfile import EnvFile

TEST_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def service_url(env: EnvFile, name: str) -> str:
    """`emulator`, `bedrock_standin` or `sample_feeds` of the environment, on the loopback interface."""
    return f"http://127.0.0.1:{env.service_port(name)}"


def emulator_environment(env: EnvFile) -> dict[str, str]:
    """Process environment that points boto3, Terraform and the engine at the emulator and the stand-in."""
    return {
        **TEST_CREDENTIALS,
        "AWS_DEFAULT_REGION": env.aws_region,
        "AWS_REGION": env.aws_region,
        "AWS_ENDPOINT_URL": service_url(env, "emulator"),
        # The service-specific variable wins over AWS_ENDPOINT_URL: Bedrock calls go to the stand-in.
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": service_url(env, "bedrock_standin"),
    }


def emulator_client(env: EnvFile, service: str, region: str | None = None, *, agent: str | None = None):
    """A boto3 client of the emulator (of the Bedrock stand-in for `bedrock-runtime`), with the fake credentials.

    `agent` is added to the user agent: the local target marks the calls it makes in the Lambda service's stead.
    """
    import boto3
    from botocore.config import Config

    endpoint = service_url(env, "bedrock_standin" if service == "bedrock-runtime" else "emulator")
    return boto3.client(
        service,
        region_name=region or env.aws_region,
        config=Config(user_agent_extra=agent) if agent else None,
        endpoint_url=endpoint,
        aws_access_key_id=TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=TEST_CREDENTIALS["AWS_SESSION_TOKEN"],
    )
