"""Runs one invocation of a Lambda handler inside a fresh interpreter, the way the Python runtime does.

Started by `toolkit.local.lambda_runner` as `python -I -S -u bootstrap.py SPEC_FILE`: isolated mode and no `site`,
so the function sees only the standard library, its own unpacked zip and the runtime's packages (boto3 and its
closure), as on Lambda. Standard library only: nothing of the toolkit is importable here.

The spec file (JSON) holds the code directory, the runtime directories, the handler, the event, the context
fields, the deadline and where to write the result. The function's stdout and stderr are the log stream; the
result (payload or error, timings) goes to the result file, written atomically.
"""

import json
import logging
import os
import sys
import time
import traceback


class LambdaContext:
    """The context object the Python runtime passes to the handler."""

    def __init__(self, fields, deadline_ms):
        self.aws_request_id = fields["aws_request_id"]
        self.function_name = fields["function_name"]
        self.function_version = fields["function_version"]
        self.invoked_function_arn = fields["invoked_function_arn"]
        self.memory_limit_in_mb = int(fields["memory_limit_in_mb"])
        self.log_group_name = fields["log_group_name"]
        self.log_stream_name = fields["log_stream_name"]
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))

    def __repr__(self):
        return (
            f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
            f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
            f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
            f"invoked_function_arn={self.invoked_function_arn}])"
        )


class _RequestIdFilter(logging.Filter):
    def __init__(self, request_id):
        super().__init__()
        self.request_id = request_id

    def filter(self, record):
        record.aws_request_id = self.request_id
        return True


def _install_lambda_logging(request_id):
    """The runtime's root handler: `[LEVEL]\\t<time>Z\\t<request id>\\t<message>` on stdout."""
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter(request_id))
    logging.getLogger().addHandler(handler)


def _error(error_type, message, stack=None):
    return {"errorMessage": message, "errorType": error_type, "stackTrace": stack or []}


def _user_frames(exc):
    # The first frame is this bootstrap calling into the function: Lambda shows only the function's frames.
    return traceback.format_tb(exc.__traceback__.tb_next) if exc.__traceback__ else []


def _log_error(error):
    # The runtime prints unhandled errors as one `[ERROR] Type: message` line followed by the traceback.
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}"]
    if error["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        lines.extend(line.rstrip("\n") for line in error["stackTrace"])
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


def _load_handler(handler_name):
    module_name, _, function_name = handler_name.rpartition(".")
    if not module_name or not function_name:
        return None, _error(
            "Runtime.MalformedHandlerName", f"Bad handler '{handler_name}': not enough values to unpack"
        )
    try:
        module = __import__(module_name.replace("/", "."), fromlist=["_"])
    except Exception as exc:  # the runtime reports any import failure, not only ImportError
        message = f"Unable to import module '{module_name}': {exc}"
        return None, _error("Runtime.ImportModuleError", message, _user_frames(exc))
    handler = getattr(module, function_name, None)
    if handler is None:
        message = f"Handler '{function_name}' missing on module '{module_name}'"
        return None, _error("Runtime.HandlerNotFound", message)
    return handler, None


def _write_result(path, result):
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as stream:
        json.dump(result, stream)
    os.replace(temporary, path)


def _max_rss_mb():
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(spec_path):
    with open(spec_path, encoding="utf-8") as stream:
        spec = json.load(stream)
    # Lambda's order: the function's own code first, then the runtime's packages, then the standard library.
    sys.path[:0] = [spec["code_dir"], *spec["runtime_dirs"]]
    os.chdir(spec["code_dir"])
    context = LambdaContext(spec["context"], spec["deadline_ms"])
    _install_lambda_logging(context.aws_request_id)

    result = {"init_done_ms": None, "duration_ms": 0.0, "payload": None, "error": None}
    handler, error = _load_handler(spec["handler"])
    result["init_done_ms"] = time.time() * 1000
    if error is None:
        started = time.perf_counter()
        try:
            response = handler(spec["event"], context)
        except Exception as exc:
            error = _error(type(exc).__name__, str(exc), _user_frames(exc))
        else:
            try:
                result["payload"] = json.dumps(response)
            except (TypeError, ValueError) as exc:
                error = _error("Runtime.MarshalError", f"Unable to marshal response: {exc}")
        result["duration_ms"] = (time.perf_counter() - started) * 1000
    if error is not None:
        _log_error(error)
        result["error"] = error
    sys.stdout.flush()
    sys.stderr.flush()
    result["max_memory_mb"] = _max_rss_mb()
    _write_result(spec["result_path"], result)


if __name__ == "__main__":
    main(sys.argv[1])
