"""A headless Chromium driven over the DevTools protocol, for tests that look at a page as a
person would: load it, click, press keys, read the DOM, take a screenshot.

The browser is Debian's ``chromium`` (``.ci/run`` installs it); the protocol is JSON over one
websocket (``websocket-client``), so no driver binary has to match the browser's version and
nothing is downloaded at run time.
"""

import base64
import contextlib
import itertools
import json
import os
import shutil
import subprocess
import time
import urllib.request

import websocket

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
KEY_CODES = {"ArrowRight": 39, "ArrowLeft": 37, "Home": 36, "End": 35}


def find_browser():
    """The Chromium executable on PATH, or None."""
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless Chromium with one page. Use as a context manager; ``profile`` is an empty
    folder for the browser's profile (a test's ``tmp_path``)."""

    def __init__(self, executable, profile, width=1280, height=900, timeout=30):
        self.timeout = timeout
        self.process = subprocess.Popen(
            [executable, "--headless=new", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
             "--hide-scrollbars", "--remote-debugging-port=0", "--remote-allow-origins=*",
             f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port = self._port(os.path.join(profile, "DevToolsActivePort"))
        targets = json.loads(self._http(f"http://127.0.0.1:{port}/json/list"))
        page = next(t for t in targets if t["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"],
                                                  timeout=timeout, suppress_origin=True)
        self.ids = itertools.count(1)
        self.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def _port(self, path):
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chromium exited with code {self.process.returncode}")
            try:
                with open(path, encoding="utf-8") as file:
                    first = file.readline().strip()
                if first:
                    return int(first)
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"chromium did not open its DevTools port within {self.timeout} s")

    @staticmethod
    def _http(url):
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode()

    def send(self, method, **params):
        """Call a DevTools method and return its result (events in between are skipped)."""
        message_id = next(self.ids)
        self.socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        """The value of a JavaScript expression in the page."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url):
        """Load ``url`` and wait until the page has loaded."""
        self.send("Page.enable")
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.evaluate("document.readyState") == "complete":
                return
            time.sleep(0.05)
        raise TimeoutError(f"{url} did not finish loading within {self.timeout} s")

    def click(self, selector):
        """A real mouse click (press and release) at the centre of the element."""
        box = self.evaluate(
            f"(function () {{ var r = document.querySelector({json.dumps(selector)})"
            ".getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1],
                      button="left", clickCount=1)

    def press(self, key):
        """A real key press (down and up), e.g. ``"ArrowRight"``."""
        for kind in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", type=kind, key=key, code=key,
                      windowsVirtualKeyCode=KEY_CODES[key])

    def screenshot(self, path):
        """Save what the page shows as a PNG."""
        data = self.send("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as file:
            file.write(base64.b64decode(data))
        return path

    def close(self):
        """Ask the browser to quit (it shuts its helper processes down), then make sure."""
        with contextlib.suppress(OSError, RuntimeError, websocket.WebSocketException):
            self.send("Browser.close")  # fails only when the browser is already gone
        self.socket.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False


def main(argv=None):
    """``python tests/chromium.py PAGE.html OUT.png [--next N] [--size 1280x560]``: a
    screenshot of a page after pressing Next N times (how docs/backprop_steps.png is made)."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=main.__doc__.split(":")[0])
    parser.add_argument("page")
    parser.add_argument("out")
    parser.add_argument("--next", type=int, default=0, help="press Next this many times")
    parser.add_argument("--size", default="1280x560", help="window size, WIDTHxHEIGHT")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile, \
            Browser(find_browser(), profile, width, height) as browser:
        browser.open("file://" + os.path.abspath(args.page))
        for _ in range(args.next):
            browser.click("#next")
        print(f"wrote {browser.screenshot(args.out)}")


if __name__ == "__main__":
    main()
