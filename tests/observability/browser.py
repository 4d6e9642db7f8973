"""Headless Chromium driven over the DevTools protocol: load pages, read the DOM, collect errors, screenshot.

Debian's ``chromium`` (``make test`` installs it where missing) runs with a fresh profile in the test's
temporary directory and no network besides the pages asked for. Every JavaScript exception, console
error and browser log error (failed resource loads included) is collected, so a test can require a
page to load cleanly.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection, connect

from tests.conftest import free_port

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--no-default-browser-check",
    "--window-size=1280,1600",
)
START_TIMEOUT_S = 30.0
LOAD_TIMEOUT_S = 30.0


def chromium() -> str:
    """The Chromium executable; the test is skipped where it is not installed (``make test`` installs it)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("chromium is not installed (make test installs Debian's chromium)")
    return found


class Browser:
    """One headless Chromium with one page, driven through the DevTools protocol."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        port = free_port()
        self.process = subprocess.Popen(
            [
                chromium(),
                *FLAGS,
                f"--user-data-dir={directory / 'profile'}",
                f"--remote-debugging-port={port}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its helper processes share its process group, ended with it
        )
        self._ids = itertools.count(1)
        self._stack = contextlib.ExitStack()
        self.events: list[dict[str, Any]] = []
        try:
            self.socket = self._connect(port)
            for domain in ("Page", "Runtime", "Log"):
                self.call(f"{domain}.enable")
        except BaseException:
            self.close()
            raise

    def _connect(self, port: int) -> ClientConnection:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as answer:
                    targets = json.loads(answer.read())
                page = next(target for target in targets if target.get("type") == "page")
                socket = connect(page["webSocketDebuggerUrl"], max_size=None, proxy=None)
                return self._stack.enter_context(socket)
            except (OSError, StopIteration):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("chromium did not start") from None
                time.sleep(0.1)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command and wait (bounded) for its result; events meanwhile are kept in ``events``."""
        identity = next(self._ids)
        self.socket.send(json.dumps({"id": identity, "method": method, "params": params}))
        deadline = time.monotonic() + LOAD_TIMEOUT_S
        while True:
            message = json.loads(self.socket.recv(timeout=max(0.01, deadline - time.monotonic())))
            if message.get("id") == identity:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            self.events.append(message)

    def _wait_for_load(self, since: int) -> None:
        deadline = time.monotonic() + LOAD_TIMEOUT_S
        while not any(event.get("method") == "Page.loadEventFired" for event in self.events[since:]):
            if time.monotonic() > deadline:
                raise TimeoutError("the page did not finish loading")
            self.events.append(json.loads(self.socket.recv(timeout=max(0.01, deadline - time.monotonic()))))

    def goto(self, url: str) -> None:
        """Navigate and wait until the page (after any redirects) has loaded."""
        since = len(self.events)
        self.call("Page.navigate", url=url)
        self._wait_for_load(since)

    def act(self, expression: str) -> None:
        """Run ``expression`` (a click, a form submit) and wait for the page it leads to."""
        since = len(self.events)
        self.evaluate(expression)
        self._wait_for_load(since)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def text(self) -> str:
        """The page's visible text."""
        return str(self.evaluate("document.body.innerText"))

    def screenshot(self, name: str) -> Path:
        """A PNG of the page, written to the test's temporary directory."""
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
        path = self.directory / f"{name}.png"
        path.write_bytes(base64.b64decode(data))
        return path

    def errors(self) -> list[str]:
        """JavaScript exceptions, console errors and browser log errors seen so far."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(json.dumps(params["exceptionDetails"]))
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append(json.dumps(params.get("args")))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(f"{params['entry'].get('text')} ({params['entry'].get('url')})")
        return found

    def close(self) -> None:
        """End the browser (and its profile's processes) and wait for it."""
        self._stack.close()
        group = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            self.process.wait(10)
