"""A headless Chromium driven over the Chrome DevTools Protocol (CDP): enough for a test to open a page of
the Dagster UI, wait until the single-page app has rendered what it looks for, read the page's text and
keep a screenshot of it.

The browser is Debian's `chromium` package (`make system-packages`, which `make test` runs), not one a
test framework downloads: the machines the suite runs on reach package registries only."""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

from tests.ports import stop_process_group

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
MISSING = (
    "no chromium on PATH: the operator UI tests render the Dagster UI in headless Chromium; "
    "`make test` installs it (its system-packages target runs apt-get install chromium)"
)
ARTIFACTS_ENV = "FARMLAND_TEST_ARTIFACTS"
ARTIFACTS_DIR = Path(__file__).parent / "artifacts"


class BrowserMissing(RuntimeError):
    pass


def chromium_binary() -> str:
    """The path of the Chromium on PATH; BrowserMissing says how to install it."""
    for name in CHROMIUM_NAMES:
        if path := shutil.which(name):
            return path
    raise BrowserMissing(MISSING)


def artifacts_dir() -> Path:
    """Where tests keep what a person looks at after the run (screenshots): $FARMLAND_TEST_ARTIFACTS,
    else tests/artifacts; outside pytest's temporary folders, which are pruned after a few sessions."""
    folder = Path(os.environ.get(ARTIFACTS_ENV) or ARTIFACTS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Page:
    """One browser tab, commanded over its DevTools websocket."""

    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        # Uncaught exceptions in the page, kept for failure messages: a page that never renders what a
        # test waits for usually threw on the way.
        self.exceptions: list[str] = []

    def send(self, method: str, timeout: float = 60, **params: Any) -> dict[str, Any]:
        """Send a CDP command and return its result; the events arriving meanwhile are noted or dropped."""
        command_id = next(self._ids)
        self._socket.send(json.dumps({"id": command_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self._socket.recv(timeout=max(deadline - time.monotonic(), 0.1)))
            if message.get("method") == "Runtime.exceptionThrown":
                details = message["params"]["exceptionDetails"]
                self.exceptions.append(details.get("exception", {}).get("description") or details["text"])
            if message.get("id") != command_id:
                continue
            if "error" in message:
                raise RuntimeError(f"{method}: {message['error']}")
            return message["result"]

    def goto(self, url: str) -> None:
        """Start loading `url`; what the app renders afterwards is awaited with wait_until."""
        result = self.send("Page.navigate", url=url)
        if result.get("errorText"):
            raise RuntimeError(f"{url}: {result['errorText']}")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable values only)."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def text(self) -> str:
        """The page's visible text, as a reader sees it."""
        return self.evaluate("document.body ? document.body.innerText : ''") or ""

    def wait_until(self, expression: str, timeout: float = 90, settle: float = 1.0) -> bool:
        """Whether the expression became truthy within `timeout` seconds. After it did, `settle` seconds
        more: the app keeps laying out (the graph's edges, fonts) after its first nodes appear."""
        # While the page is being replaced there is a moment without a body: an expression that throws
        # then has simply not come true yet.
        guarded = f"(() => {{ try {{ return Boolean({expression}); }} catch (error) {{ return false; }} }})()"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(guarded):
                time.sleep(settle)
                return True
            time.sleep(0.5)
        return False

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        """Save what the tab shows as a PNG; with `full_page`, the whole page, scrolled or not."""
        options: dict[str, Any] = {}
        if full_page:
            width, height = self.evaluate(
                "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
            )
            options = {
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
            }
        data = self.send("Page.captureScreenshot", format="png", **options)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path


def _devtools_port(profile: Path, browser: subprocess.Popen, log: Path, timeout: float = 60) -> int:
    # With --remote-debugging-port=0 Chromium picks a free port and writes it to this file, which avoids
    # racing another process for a port chosen beforehand.
    active = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while not (active.exists() and active.read_text().strip()):
        if browser.poll() is not None:
            raise RuntimeError(f"chromium exited with {browser.returncode}:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"chromium opened no DevTools port within {timeout} s:\n{log.read_text()[-3000:]}"
            )
        time.sleep(0.2)
    return int(active.read_text().split()[0])


@contextmanager
def chromium(width: int = 1600, height: int = 1000) -> Iterator[Page]:
    """A headless Chromium with one blank tab, closed on exit."""
    binary = chromium_binary()
    profile = Path(tempfile.mkdtemp(prefix="farmland-chromium-"))
    log = profile / "chromium.log"
    args = [
        binary,
        "--headless",
        "--remote-debugging-port=0",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        # root in a container has no user namespace for the sandbox, and a small /dev/shm
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        # nothing leaves the machine: no proxy lookup, no background updates or metrics
        "--no-proxy-server",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--no-default-browser-check",
        "--hide-scrollbars",
        "about:blank",
    ]
    with open(log, "w") as output:
        browser = subprocess.Popen(args, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        port = _devtools_port(profile, browser, log)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            targets = json.load(response)
        tab = next(target for target in targets if target["type"] == "page")
        with connect(tab["webSocketDebuggerUrl"], max_size=None, proxy=None, ping_interval=None) as socket:
            page = Page(socket)
            page.send("Page.enable")
            page.send("Runtime.enable")
            # --window-size includes the window's frame: the page itself gets exactly this size
            page.send(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=height,
                deviceScaleFactor=1,
                mobile=False,
            )
            yield page
    finally:
        stop_process_group(browser, 30)
        shutil.rmtree(profile, ignore_errors=True)
