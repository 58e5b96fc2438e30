"""What every task shares: the --env help, and one `error: ...` line with exit 1 for a known failure."""

from __future__ import annotations

from invoke import Exit

ENV_HELP = "environment file env/<ENV>.json (default: local, the embedded emulator)"


def _fail(exc: Exception) -> Exit:
    return Exit(f"error: {exc}", code=1)


def _known_errors() -> tuple[type[Exception], ...]:
    from toolkit.envfile import EnvFileError
    from toolkit.local.run_local import RunError
    from toolkit.local.services import ServiceError

    errors: list[type[Exception]] = [EnvFileError, RunError, ServiceError]
    for module, name in (
        ("toolkit.packaging", "PackageError"),
        ("toolkit.deploy", "DeployError"),
        ("toolkit.release_config", "ReleaseConfigError"),
        ("toolkit.smoke", "SmokeError"),
        ("toolkit.cloudwatch", "LogsError"),
        ("toolkit.local.lambda_runner", "LocalLambdaError"),
        ("toolkit.terraform", "TerraformError"),
        ("toolkit.drivers.demo", "DemoError"),
        ("toolkit.drivers.bench", "BenchError"),
        ("toolkit.bootstrap", "BootstrapError"),
        ("toolkit.drivers.evaluate", "EvalError"),
        ("toolkit.drivers.screenshot", "ScreenshotError"),
        ("toolkit.operations", "OperationsError"),
        ("toolkit.drivers.fleet_bench", "FleetBenchError"),
        ("toolkit.local.queue_runner", "QueueRunnerError"),
    ):
        try:
            errors.append(getattr(__import__(module, fromlist=[name]), name))
        except (ImportError, AttributeError):
            pass
    return tuple(errors)


def _guard(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except _known_errors() as exc:
        raise _fail(exc) from None
