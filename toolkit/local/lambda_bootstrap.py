"""Runs a Lambda handler inside its own interpreter, the way the Python runtime does: one invocation, or an
execution environment that serves one invocation after another while it is warm.

Started by `toolkit.local.lambda_runner` as `python -I -S -u bootstrap.py SPEC_FILE` (one invocation) or
`... bootstrap.py --serve SPEC_FILE` (a warm environment, see `toolkit.local.warm`): isolated mode and no `site`,
so the function sees only the standard library, its own unpacked zip and the runtime's packages (boto3 and its
closure), as on Lambda. Standard library only: nothing of the toolkit is importable here.

One invocation: the spec file (JSON) holds the code directory, the runtime directories, the handler, the event,
the context fields, the deadline and where to write the result. The function's stdout and stderr are the log
stream; the result (payload or error, timings) goes to the result file, written atomically.

A warm environment: the spec names a Unix socket; each connection is one invocation (its event, context and
deadline in one JSON line), answered with one JSON line (payload or error, timings, and the log lines the
function printed meanwhile, each with its time). The handler is imported on the first invocation (the init
phase) and stays imported: module state, clients and caches survive to the next invocation, as on Lambda. The
environment exits after `idle_s` seconds without an invocation, or when its init failed.
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
    """Stamps each record with the current invocation's request id (a warm environment changes it per call)."""

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
    request_filter = _RequestIdFilter(request_id)
    handler.addFilter(request_filter)
    logging.getLogger().addHandler(handler)
    return request_filter


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


def _invoke(handler, event, context):
    """(payload JSON or None, error or None, duration ms) of one call of the handler."""
    started = time.perf_counter()
    payload = error = None
    try:
        response = handler(event, context)
    except Exception as exc:
        error = _error(type(exc).__name__, str(exc), _user_frames(exc))
    else:
        try:
            payload = json.dumps(response)
        except (TypeError, ValueError) as exc:
            error = _error("Runtime.MarshalError", f"Unable to marshal response: {exc}")
    return payload, error, (time.perf_counter() - started) * 1000


class _LogCapture:
    """The function's stdout and stderr (file descriptors 1 and 2) read line by line, each line timed when it is
    written, as Lambda timestamps what the runtime emits; `take()` returns the lines of the current invocation."""

    MARK = "\x00vectora-end-of-invocation\x00"

    def __init__(self, journal_path=None):
        import threading

        # Every line also goes to a journal file as it is written: if the invocation times out or the process
        # dies, the caller still finds what the function printed, as Lambda's log stream keeps it.
        self._journal = open(journal_path, "a", encoding="utf-8", buffering=1) if journal_path else None

        read_end, write_end = os.pipe()
        os.dup2(write_end, 1)
        os.dup2(write_end, 2)
        os.close(write_end)
        self._lines = []
        self._done = threading.Event()
        self._lock = threading.Lock()
        threading.Thread(target=self._read, args=(read_end,), daemon=True).start()

    def _read(self, read_end):
        with open(read_end, "rb") as stream:
            for raw in iter(stream.readline, b""):
                text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                if text == self.MARK:
                    self._done.set()
                    continue
                line = (int(time.time() * 1000), text)
                with self._lock:
                    self._lines.append(line)
                if self._journal:
                    self._journal.write(json.dumps(line) + "\n")

    def take(self):
        sys.stdout.flush()
        sys.stderr.flush()
        self._done.clear()
        os.write(1, (self.MARK + "\n").encode())
        self._done.wait(5)
        with self._lock:
            lines, self._lines = self._lines, []
        return lines


def serve(spec_path):
    """A warm execution environment: one invocation per connection on the spec's Unix socket."""
    import socket

    with open(spec_path, encoding="utf-8") as stream:
        spec = json.load(stream)
    sys.path[:0] = [spec["code_dir"], *spec["runtime_dirs"]]
    os.chdir(spec["code_dir"])
    capture = _LogCapture(spec.get("journal"))
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(spec["socket"])
    server.listen(1)
    server.settimeout(float(spec.get("idle_s", 300)))
    handler = None
    request_filter = None
    while True:
        try:
            connection, _ = server.accept()
        except TimeoutError:
            break  # idle for too long: Lambda would have reclaimed the environment
        with connection, connection.makefile("rwb") as stream:
            stream.write(b"accepted\n")  # the caller tells an environment that is gone from one that died running
            stream.flush()
            request = json.loads(stream.readline())
            fields = request["context"]
            context = LambdaContext(fields, request["deadline_ms"])
            answer = {"init_ms": None, "duration_ms": 0.0, "payload": None, "error": None}
            if handler is None:  # the init phase, on the first invocation
                started = time.time() * 1000
                request_filter = _install_lambda_logging(context.aws_request_id)
                handler, error = _load_handler(spec["handler"])
                answer["init_ms"] = time.time() * 1000 - started
            else:
                request_filter.request_id = context.aws_request_id
                error = None
            if error is None:
                answer["payload"], answer["error"], answer["duration_ms"] = _invoke(handler, request["event"], context)
            else:
                answer["error"] = error
            if answer["error"] is not None:
                _log_error(answer["error"])
            answer["events"] = capture.take()
            answer["max_memory_mb"] = _max_rss_mb()
            stream.write((json.dumps(answer) + "\n").encode())
            stream.flush()
            if error is not None:
                break  # a failed init: the next invocation starts a new environment, as on Lambda
    server.close()
    os.unlink(spec["socket"])


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        serve(sys.argv[2])
    else:
        main(sys.argv[1])
