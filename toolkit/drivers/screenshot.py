"""Render an edition in headless Chromium at desktop and phone widths, and check it fits a phone.

`invoke run --screenshot` writes `newsletter-1200.png` and `newsletter-375.png` beside the
newsletter's local copy. Chromium comes from the system's packages (Debian: `apt-get install -y chromium`).

Headless Chromium will not open a window narrower than 500 px, so the phone width is emulated the way
its developer tools do it (device metrics override), spoken over `--remote-debugging-pipe`: JSON
messages on file descriptors 3 and 4, no extra library.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ToolkitError

WIDTHS = (1200, 375)
PHONE_MAX_WIDTH = 600
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
MAX_HEIGHT = 12_000
TIMEOUT_S = 60


class ScreenshotError(ToolkitError, RuntimeError):
    """The edition could not be rendered, or does not fit a phone."""


@dataclass(frozen=True)
class Shot:
    width: int
    path: Path
    page_width: int  # the page's scroll width at this viewport width
    page_height: int

    @property
    def scrolls_sideways(self) -> bool:
        return self.page_width > self.width


def find_browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise ScreenshotError(
        "no headless Chromium found: install it (Debian: `apt-get update && apt-get install -y chromium`)"
    )


def _high_fd(fd: int) -> int:
    """The same pipe end on a descriptor above 4, so wiring 3 and 4 in the child never clobbers it."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return high


class _Browser:
    """A headless Chromium driven over the DevTools pipe."""

    def __init__(self, executable: str, profile: str):
        to_browser_r, self._to_browser = (_high_fd(fd) for fd in os.pipe())
        self._from_browser, from_browser_w = (_high_fd(fd) for fd in os.pipe())

        def wire_fds() -> None:  # the browser reads commands on fd 3 and writes answers on fd 4
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        command = [
            executable,
            "--headless",
            "--remote-debugging-pipe",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            "about:blank",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium refuses its sandbox as root
        self._process = subprocess.Popen(
            command,
            preexec_fn=wire_fds,
            pass_fds=(3, 4, to_browser_r, from_browser_w),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "HOME": profile},
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise ScreenshotError("Chromium did not answer in time")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise ScreenshotError("Chromium closed its DevTools pipe (did it start?)")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        request: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        os.write(self._to_browser, json.dumps(request).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            message = self._read_message(deadline)
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise ScreenshotError(f"Chromium refused {method}: {message['error'].get('message')}")
                return message.get("result", {})
            self._events.append(message)

    def wait_for(self, method: str, session: str) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            for i, event in enumerate(self._events):
                if event.get("method") == method and event.get("sessionId") == session:
                    del self._events[: i + 1]
                    return
            self._events.append(self._read_message(deadline))

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (ScreenshotError, OSError):
            pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass


def _shoot(browser: _Browser, url: str, width: int, target: Path) -> Shot:
    target_id = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target_id, "flatten": True})["sessionId"]
    mobile = width <= PHONE_MAX_WIDTH
    metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": mobile}
    browser.send("Emulation.setDeviceMetricsOverride", metrics, session)
    browser.send("Page.enable", {}, session)
    browser.send("Page.navigate", {"url": url}, session)
    browser.wait_for("Page.loadEventFired", session)
    size = "JSON.stringify([document.documentElement.scrollWidth, document.documentElement.scrollHeight])"
    value = browser.send("Runtime.evaluate", {"expression": size, "returnByValue": True}, session)["result"]["value"]
    page_width, page_height = json.loads(value)
    browser.send("Emulation.setDeviceMetricsOverride", {**metrics, "height": min(page_height, MAX_HEIGHT)}, session)
    data = browser.send("Page.captureScreenshot", {"format": "png"}, session)["data"]
    target.write_bytes(base64.b64decode(data))
    browser.send("Target.closeTarget", {"targetId": target_id})
    return Shot(width, target, page_width, page_height)


def capture(html: Path, widths: Sequence[int] = WIDTHS, executable: str | None = None) -> list[Shot]:
    """One full-page PNG per width beside the HTML, named <stem>-<width>.png."""
    executable = executable or find_browser()
    with tempfile.TemporaryDirectory(prefix="vectora-chromium-") as profile:
        browser = _Browser(executable, profile)
        try:
            return [
                _shoot(browser, html.resolve().as_uri(), width, html.with_name(f"{html.stem}-{width}.png"))
                for width in widths
            ]
        finally:
            browser.close()


def screenshot_edition(html: Path, printer: Callable[[str], None] = print) -> list[Shot]:
    """Capture the edition and fail if it scrolls sideways at a phone's width."""
    shots = capture(html)
    for shot in shots:
        fit = "scrolls sideways" if shot.scrolls_sideways else "nothing scrolls sideways"
        printer(f"  screenshot {shot.width} px: {shot.path} ({shot.page_width}×{shot.page_height} px page, {fit})")
    wide = [s for s in shots if s.scrolls_sideways and s.width <= PHONE_MAX_WIDTH]
    if wide:
        raise ScreenshotError(
            f"the edition is {wide[0].page_width} px wide at {wide[0].width} px: it scrolls sideways on a phone"
        )
    return shots
