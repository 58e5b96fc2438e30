"""The HTTP shell: the loopback server, its fault injection and call log, the control endpoint and the CLI."""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import signal
import socket
import threading
import time
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from .answers import CHARS_PER_TOKEN, answer_text, estimate_tokens, malformed_text, prompt_purpose
from .checks import (
    VALIDATION_ERROR_TYPE,
    StandInRequestError,
    check_model_id,
    parse_anthropic_body,
    parse_converse_body,
    signing_scope,
)
from .quota import Quotas

CALL_LOG_LIMIT = 10_000  # a long local demo must not grow memory without bound
THROTTLING_MESSAGE = "Too many requests, please wait before trying again."

SETTING_RATES = ("throttle_rate", "unavailable_rate", "model_timeout_rate", "timeout_rate", "malformed_rate")
# Answers as Bedrock gives them on a real account: model access not granted (403 AccessDeniedException, for the
# listed model ids or "*"), and the next N answers of a purpose cut at max_tokens or refused.
SETTING_ANSWERS = ("access_denied_models", "cut_answers", "refuse_answers")
# Bedrock's quotas per (Region, model), as quota.py enforces them: 0 turns one off (the default).
SETTING_QUOTAS = ("requests_per_minute", "tokens_per_minute", "output_token_burndown")
# {"eu-west-3": {"requests_per_minute": 50, "tokens_per_minute": 100000}}: other quotas in some Regions.
SETTING_QUOTAS_BY_REGION = "quotas_by_region"
ACCESS_DENIED_MESSAGE = "You don't have access to the model with the specified model ID."

# How long Claude Sonnet 4.5 takes to answer on Amazon Bedrock: time to first token plus the output
# tokens at its output rate. Source: Artificial Analysis, "Claude 4.5 Sonnet: API provider benchmarks"
# (Amazon Bedrock, standard tier; medians of late 2025: ~1.8 s to the first token, ~63 output tokens/s).
# Re-measure on the account that matters; both are settable.
SONNET_45_TTFT_MS = 1800
SONNET_45_OUTPUT_TOKENS_PER_S = 63.0
# The model's latency is multiplied by this scale: 0 (the default) leaves only `latency_ms`, so tests and
# demos stay fast; 1 is the real model's speed (the benchmark's realistic scenario).


def model_latency_ms(output_tokens: int, settings: dict[str, Any]) -> float:
    """Time to first token plus the output at the model's rate, times `latency_scale` (0: no model latency)."""
    scale = settings.get("latency_scale", 0.0)
    if not scale:
        return 0.0
    rate = settings.get("output_tokens_per_s", SONNET_45_OUTPUT_TOKENS_PER_S)
    return scale * (settings.get("ttft_ms", SONNET_45_TTFT_MS) + output_tokens / rate * 1000)


# --------------------------------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the call log is the record
        return

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes; without this, Nagle and delayed ACKs add ~40 ms per call
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.standin._track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.standin._track(self.connection, False)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None, raw: bytes | None = None) -> None:
        data = raw if raw is not None else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            self.send_header("x-standin", "1")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True  # the client gave up (read timeout): nothing to answer

    def _error(self, status: int, error_type: str, message: str) -> None:
        self._send(status, {"message": message}, {"x-amzn-ErrorType": error_type})

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def _dispatch(self, method: str) -> None:
        body = self._read_body()
        path = urlsplit(self.path).path
        if path.startswith("/_standin/"):
            self._control(method, path, body)
            return
        match = re.fullmatch(r"/model/([^/]+)/(invoke|converse)", path)
        if method != "POST" or not match:
            self._error(404, "UnknownOperationException", f"No operation for {method} {path}")
            return
        model_id = unquote(match.group(1))
        operation = "InvokeModel" if match.group(2) == "invoke" else "Converse"
        status, payload, headers, raw = self.server.standin._handle_model_call(operation, model_id, self.headers, body)
        self._send(status, payload, headers, raw)

    def _control(self, method: str, path: str, body: bytes) -> None:
        standin = self.server.standin
        if path == "/_standin/health" and method == "GET":
            self._send(200, {"status": "ok", "config": standin.settings, "calls": len(standin.calls)})
        elif path == "/_standin/calls" and method == "GET":
            self._send(200, {"calls": standin.calls})
        elif path == "/_standin/calls" and method == "DELETE":
            standin.clear_calls()
            self._send(200, {"calls": []})
        elif path == "/_standin/config" and method == "POST":
            try:
                settings = json.loads(body or b"{}")
                if not isinstance(settings, dict):
                    raise ValueError("config must be a JSON object")
                standin.configure(**settings)
            except (ValueError, TypeError) as exc:
                self._error(400, VALIDATION_ERROR_TYPE, str(exc))
                return
            self._send(200, {"config": standin.settings})
        else:
            self._error(404, "UnknownOperationException", f"No control operation for {method} {path}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    standin: BedrockStandIn


class BedrockStandIn:
    """The stand-in server. Use as a context manager or call `start()` / `stop()`; `url` is its endpoint."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: int = 0,
        throttle_rate: float = 0.0,
        malformed_rate: float = 0.0,
        timeout_rate: float = 0.0,
        timeout_sleep_s: float = 5.0,
        seed: int = 0,
        *,
        unavailable_rate: float = 0.0,
        model_timeout_rate: float = 0.0,
        check_profile_region: bool = True,
        latency_scale: float = 0.0,
        ttft_ms: float = SONNET_45_TTFT_MS,
        output_tokens_per_s: float = SONNET_45_OUTPUT_TOKENS_PER_S,
        requests_per_minute: int = 0,
        tokens_per_minute: int = 0,
    ) -> None:
        self.host = host
        self.port = port
        self._lock = threading.Lock()
        self.quotas = Quotas()
        self._settings: dict[str, Any] = {}
        self._rng = random.Random(seed)
        self._calls: deque[dict[str, Any]] = deque(maxlen=CALL_LOG_LIMIT)
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.configure(
            latency_ms=latency_ms,
            throttle_rate=throttle_rate,
            malformed_rate=malformed_rate,
            timeout_rate=timeout_rate,
            timeout_sleep_s=timeout_sleep_s,
            seed=seed,
            unavailable_rate=unavailable_rate,
            model_timeout_rate=model_timeout_rate,
            check_profile_region=check_profile_region,
            access_denied_models=[],
            cut_answers={},
            refuse_answers={},
            latency_scale=latency_scale,
            ttft_ms=ttft_ms,
            output_tokens_per_s=output_tokens_per_s,
            requests_per_minute=requests_per_minute,
            tokens_per_minute=tokens_per_minute,
            output_token_burndown=self.quotas.output_burndown,
        )

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> BedrockStandIn:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((self.host, self.port), _Handler)
        self._server.standin = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="bedrock-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wakes calls sleeping on latency or a simulated timeout
        shutdown = threading.Thread(target=self._server.shutdown, daemon=True)
        shutdown.start()
        while shutdown.is_alive():  # a connection wakes the accept loop now instead of at its next poll
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
            except OSError:
                pass
            shutdown.join(0.01)
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:  # idle keep-alive connections would otherwise hold their threads
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> BedrockStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            (self._connections.add if add else self._connections.discard)(conn)

    # -- settings and call log ---------------------------------------------------------------------

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Change settings; a `seed` restarts the random sequence. Unknown keys or bad values raise ValueError."""
        known = {
            "latency_ms",
            "timeout_sleep_s",
            "seed",
            "check_profile_region",
            "latency_scale",
            "ttft_ms",
            "output_tokens_per_s",
            *SETTING_RATES,
            *SETTING_ANSWERS,
            *SETTING_QUOTAS,
            SETTING_QUOTAS_BY_REGION,
        }
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(unknown)}")
        clean: dict[str, Any] = {}
        for key, value in settings.items():
            if key in SETTING_RATES:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                    raise ValueError(f"{key} must be a number between 0 and 1")
                clean[key] = float(value)
            elif key in ("latency_ms", "timeout_sleep_s", "latency_scale", "ttft_ms"):
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ValueError(f"{key} must be a number >= 0")
                clean[key] = value
            elif key == SETTING_QUOTAS_BY_REGION:
                if not isinstance(value, dict) or not all(
                    isinstance(v, dict)
                    and set(v) <= {"requests_per_minute", "tokens_per_minute"}
                    and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in v.values())
                    for v in value.values()
                ):
                    raise ValueError(f"{key} maps a Region to its requests_per_minute and tokens_per_minute (>= 0)")
                clean[key] = {str(region): dict(v) for region, v in value.items()}
            elif key in SETTING_QUOTAS:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ValueError(f"{key} must be a number >= 0 (0 turns the quota off)")
                clean[key] = value
            elif key == "output_tokens_per_s":
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                    raise ValueError(f"{key} must be a number > 0")
                clean[key] = float(value)
            elif key == "seed":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError("seed must be an integer")
                clean[key] = value
            elif key == "check_profile_region":
                if not isinstance(value, bool):
                    raise ValueError("check_profile_region must be true or false")
                clean[key] = value
            elif key == "access_denied_models":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ValueError('access_denied_models must be a list of model ids ("*" for every model)')
                clean[key] = list(value)
            elif key in ("cut_answers", "refuse_answers"):
                if not isinstance(value, dict) or not all(
                    isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value.values()
                ):
                    raise ValueError(f'{key} must map a purpose ("newsletter", "normalization") to a count >= 0')
                clean[key] = {str(purpose): count for purpose, count in value.items()}
        self.quotas.configure(
            clean.get("requests_per_minute"),
            clean.get("tokens_per_minute"),
            clean.get("output_token_burndown"),
            clean.get(SETTING_QUOTAS_BY_REGION),
        )
        with self._lock:
            self._settings.update(clean)
            if "seed" in clean:
                self._rng = random.Random(clean["seed"])
            return dict(self._settings)

    @property
    def settings(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._settings)

    @property
    def calls(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(call) for call in self._calls]

    def clear_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def _take(self, setting: str, purpose: str) -> bool:
        """Use up one of the answers of `purpose` to alter (cut or refuse); False when none is left."""
        with self._lock:
            counts = self._settings[setting]
            if counts.get(purpose, 0) > 0:
                counts[purpose] -= 1
                return True
            return False

    def _record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._calls.append(entry)

    # -- model calls -------------------------------------------------------------------------------

    def _draw(self) -> tuple[dict[str, Any], list[float]]:
        """Settings and random draws for one call. Always six draws, so a seed gives the same
        sequence whichever rates are set."""
        with self._lock:
            return dict(self._settings), [self._rng.random() for _ in range(6)]

    def _handle_model_call(
        self, operation: str, model_id: str, headers: Any, body: bytes
    ) -> tuple[int, Any, dict[str, str], bytes | None]:
        started = time.monotonic()
        entry: dict[str, Any] = {
            "ts": round(time.time(), 3),
            "operation": operation,
            "region": "",
            "model_id": model_id,
            "status": 0,
            "input_tokens": 0,
            "output_tokens": 0,
            "purpose": "unknown",
            "fault": "",
        }

        def fail(status: int, error_type: str, message: str, fault: str) -> tuple[int, Any, dict[str, str], None]:
            # a refused call processes (and bills) no tokens, so the log's token sums match what was answered
            latency = round((time.monotonic() - started) * 1000)
            entry.update(status=status, fault=fault, input_tokens=0, latency_ms=latency)
            self._record(entry)
            return status, {"message": message}, {"x-amzn-ErrorType": error_type}, None

        scope = signing_scope(headers.get("Authorization", ""))
        if scope is None:
            return fail(403, "MissingAuthenticationTokenException", "Missing Authentication Token", "unsigned")
        entry["region"] = scope["region"]
        if scope["service"] != "bedrock":
            return fail(
                403,
                "InvalidSignatureException",
                f"Credential should be scoped to correct service: 'bedrock'. Got '{scope['service']}'.",
                "unsigned",
            )
        settings, draws = self._draw()
        try:
            check_model_id(model_id, scope["region"] if settings["check_profile_region"] else None)
            if operation == "InvokeModel":
                system, user, texts, max_tokens = parse_anthropic_body(body)
            else:
                system, user, texts, max_tokens = parse_converse_body(body)
        except StandInRequestError as exc:
            return fail(exc.status, exc.error_type, exc.message, "invalid_request")

        purpose = prompt_purpose(system)
        entry["purpose"] = purpose
        entry["max_tokens"] = max_tokens
        denied = settings["access_denied_models"]
        if "*" in denied or model_id in denied:
            return fail(403, "AccessDeniedException", ACCESS_DENIED_MESSAGE, "access_denied")
        entry["input_tokens"] = estimate_tokens("".join(t["text"] for t in texts))
        reservation = self.quotas.reserve((scope["region"], model_id), entry["input_tokens"], max_tokens)
        if isinstance(reservation, str):  # over the quota of this model in this Region
            return fail(429, "ThrottlingException", reservation, "quota")
        r_throttle, r_unavailable, r_model_timeout, r_timeout, r_malformed, r_variant = draws
        if r_throttle < settings["throttle_rate"]:
            self.quotas.settle(reservation, 0)
            return fail(429, "ThrottlingException", THROTTLING_MESSAGE, "throttle")
        if r_unavailable < settings["unavailable_rate"]:
            self.quotas.settle(reservation, 0)
            return fail(503, "ServiceUnavailableException", "Bedrock is unable to process your request.", "unavailable")
        # The answer first: a model's latency grows with the tokens it writes.
        malformed = r_malformed < settings["malformed_rate"]
        text = (
            malformed_text(purpose, system, user, int(r_variant * 3))
            if malformed
            else answer_text(purpose, system, user)
        )
        stop_reason = "end_turn"
        if estimate_tokens(text) > max_tokens:  # a model stops mid-answer at max_tokens
            text = text[: int(max_tokens * CHARS_PER_TOKEN)]
            stop_reason = "max_tokens"
        answer_fault = ""
        if self._take("refuse_answers", purpose):
            answer_fault, text, stop_reason = "refusal", "", "refusal"
        elif self._take("cut_answers", purpose):  # a wordier model: the answer runs into the cap, cut mid-JSON
            answer_fault, text, stop_reason = "max_tokens", text[: max(1, len(text) // 2)], "max_tokens"
        input_tokens, output_tokens = entry["input_tokens"], estimate_tokens(text)
        if stop_reason == "max_tokens":
            output_tokens = max_tokens  # a cut answer used the whole cap
        wait_ms = settings["latency_ms"] + model_latency_ms(output_tokens, settings)
        if self._stopping.wait(wait_ms / 1000):
            self.quotas.settle(reservation, 0)
            return fail(503, "ServiceUnavailableException", "The stand-in is shutting down.", "stopping")
        entry["quota_tokens"] = self.quotas.settle(reservation, output_tokens)
        if r_model_timeout < settings["model_timeout_rate"]:
            message = "Model has timed out in processing the request. Try your request again."
            return fail(408, "ModelTimeoutException", message, "model_timeout")
        fault = ""
        if r_timeout < settings["timeout_rate"]:
            fault = "timeout"
            if self._stopping.wait(settings["timeout_sleep_s"]):
                return fail(503, "ServiceUnavailableException", "The stand-in is shutting down.", "stopping")
        fault = fault or answer_fault or ("malformed" if malformed else "")
        latency = round((time.monotonic() - started) * 1000)
        entry.update(status=200, output_tokens=output_tokens, fault=fault, latency_ms=latency)
        self._record(entry)

        headers_out = {
            "x-amzn-bedrock-input-token-count": str(input_tokens),
            "x-amzn-bedrock-output-token-count": str(output_tokens),
            "x-amzn-bedrock-invocation-latency": str(latency),
        }
        if operation == "InvokeModel":
            digest = hashlib.sha256(body).hexdigest()[:24]
            payload = {
                "id": f"msg_bdrk_{digest}",
                "type": "message",
                "role": "assistant",
                "model": model_id,
                "content": [{"type": "text", "text": text}],
                "stop_reason": stop_reason,
                "stop_sequence": None,
                "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
            }
        else:
            payload = {
                "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
                "stopReason": stop_reason,
                "usage": {
                    "inputTokens": input_tokens,
                    "outputTokens": output_tokens,
                    "totalTokens": input_tokens + output_tokens,
                },
                "metrics": {"latencyMs": latency},
            }
        return 200, payload, headers_out, None


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------


def _rate(value: str) -> float:
    rate = float(value)
    if not 0 <= rate <= 1:
        raise argparse.ArgumentTypeError("a rate is between 0 and 1")
    return rate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m toolkit.local.bedrock_standin",
        description="Local Bedrock Runtime stand-in for Anthropic models (InvokeModel, Converse).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5056)
    parser.add_argument("--latency-ms", type=int, default=0, help="added to every answered call")
    parser.add_argument(
        "--latency-scale",
        type=float,
        default=0.0,
        help="model latency (time to first token + output tokens / rate) times this; 1 = Claude Sonnet 4.5 on Bedrock",
    )
    parser.add_argument("--ttft-ms", type=float, default=SONNET_45_TTFT_MS, help="time to first token at scale 1")
    parser.add_argument(
        "--output-tokens-per-s", type=float, default=SONNET_45_OUTPUT_TOKENS_PER_S, help="output rate at scale 1"
    )
    parser.add_argument("--throttle-rate", type=_rate, default=0.0, help="share of calls answered 429 Throttling")
    parser.add_argument("--malformed-rate", type=_rate, default=0.0, help="share of answers with invalid model output")
    parser.add_argument("--timeout-rate", type=_rate, default=0.0, help="share of calls slept --timeout-sleep-s first")
    parser.add_argument("--timeout-sleep-s", type=float, default=5.0)
    parser.add_argument("--unavailable-rate", type=_rate, default=0.0, help="share of calls answered 503")
    parser.add_argument("--model-timeout-rate", type=_rate, default=0.0, help="share answered 408 ModelTimeout")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--requests-per-minute", type=int, default=0, help="quota per Region and model; 0: none")
    parser.add_argument("--tokens-per-minute", type=int, default=0, help="quota per Region and model; 0: none")
    parser.add_argument(
        "--no-profile-region-check",
        action="store_true",
        help="accept an inference profile (eu., us.) signed for a region outside its geography",
    )
    args = parser.parse_args(argv)

    standin = BedrockStandIn(
        host=args.host,
        port=args.port,
        latency_ms=args.latency_ms,
        throttle_rate=args.throttle_rate,
        malformed_rate=args.malformed_rate,
        timeout_rate=args.timeout_rate,
        timeout_sleep_s=args.timeout_sleep_s,
        seed=args.seed,
        unavailable_rate=args.unavailable_rate,
        model_timeout_rate=args.model_timeout_rate,
        check_profile_region=not args.no_profile_region_check,
        latency_scale=args.latency_scale,
        ttft_ms=args.ttft_ms,
        output_tokens_per_s=args.output_tokens_per_s,
        requests_per_minute=args.requests_per_minute,
        tokens_per_minute=args.tokens_per_minute,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    try:
        standin.start()
    except OSError as exc:
        parser.exit(2, f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}\n")
    try:
        while not done.wait(0.5):
            pass
    finally:
        standin.stop()
    return 0
