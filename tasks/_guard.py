"""What every task shares: the --env help, and one `error: ...` line with exit 1 for a known failure: any toolkit
error (`toolkit.errors.ToolkitError`, with its fix) or an AWS SDK error a user can act on."""

from __future__ import annotations

from invoke import Exit

ENV_HELP = "environment file env/<ENV>.json (default: local, the embedded emulator)"


def _fail(exc: Exception) -> Exit:
    return Exit(f"error: {exc}", code=1)


def _known_errors() -> tuple[type[Exception], ...]:
    """The errors a task prints as one line: every toolkit error derives from one base that carries its fix."""
    from toolkit.errors import ToolkitError

    return (ToolkitError,)


def aws_problem(exc: Exception) -> str | None:
    """One line for an AWS SDK failure a user can act on (credentials, Region, endpoint, a refused call)."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
        TokenRetrievalError,
    )

    if isinstance(exc, NoCredentialsError | PartialCredentialsError | TokenRetrievalError):
        return (
            f"no usable AWS credentials ({exc}): set AWS_PROFILE or export credentials of the target account "
            "(check with `aws sts get-caller-identity`); the local environment needs none"
        )
    if isinstance(exc, NoRegionError):
        return f"no AWS Region ({exc}): env/<env>.json names it; set AWS_REGION if a tool needs it"
    if isinstance(exc, EndpointConnectionError):
        return f"AWS could not be reached ({exc})"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code, message = error.get("Code", "?"), (error.get("Message") or "").splitlines()[0:1]
        hint = ""
        if code in ("ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException"):
            hint = "; renew the AWS credentials (e.g. `aws sso login`)"
        elif code in ("AccessDenied", "AccessDeniedException"):
            hint = "; the credentials lack this permission (see terraform/modules/github_deploy_role)"
        return f"AWS refused {exc.operation_name}: {code}: {' '.join(message)}{hint}"
    if isinstance(exc, BotoCoreError):
        return f"AWS SDK error: {exc}"
    return None


def _guard(function, *args, **kwargs):
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return function(*args, **kwargs)
    except _known_errors() as exc:
        raise _fail(exc) from None
    except (BotoCoreError, ClientError) as exc:
        raise Exit(f"error: {aws_problem(exc)}", code=1) from None
