#!/usr/bin/env python3
"""Opens a FineRewards HTML report in headless Chromium over the DevTools protocol (a pipe, stdlib
only) and checks what a reader sees: no console error and no exception, no script run from data
(no dialog opened, no script element, no inline handler), every chart drawn (a non-empty SVG with
bars or lines), every image loaded (naturalWidth > 0), the expected texts shown literally. Saves a
full-page screenshot. Exit code 0 when every check passes, 1 otherwise (each failure printed).

  report-browser-check.py --chromium chromium --page runs/x/report/index.html --screenshot out.png \
      [--gallery-screenshot gallery.png] [--expect-text TEXT]...
"""
import argparse
import base64
import fcntl
import json
import os
import select
import subprocess
import sys
import tempfile
import time

CHECK_JS = r"""
(() => {
  const charts = [...document.querySelectorAll('figure.chart')].map(f => {
    const svg = f.querySelector('svg.plot');
    const marks = svg ? svg.querySelectorAll('rect.bar, polyline.line').length : 0;
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    const drawn = svg ? svg.getBBox() : {width: 0, height: 0};
    return {id: f.id, marks, w: box.width, h: box.height, bw: drawn.width, bh: drawn.height};
  });
  const images = [...document.images].map(i => ({alt: i.alt, complete: i.complete, w: i.naturalWidth}));
  const handlers = [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]
      .filter(a => a.name.startsWith('on')).map(a => e.tagName + '[' + a.name + ']'));
  return JSON.stringify({charts, images, scripts: document.scripts.length, handlers,
      text: document.body.innerText, galleryTop: (document.getElementById('galleries') || {offsetTop: 0}).offsetTop,
      width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight});
})()
"""


class Browser:
    def __init__(self, chromium, user_data_dir):
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # Move our ends above 10, so dup2 onto 3 and 4 in the child cannot clobber them.
        hi = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser_r, from_browser_w)]
        os.close(to_browser_r)
        os.close(from_browser_w)

        def child_fds():  # Chromium reads commands from fd 3 and writes replies to fd 4
            os.dup2(hi[0], 3)
            os.dup2(hi[1], 4)

        self.proc = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--remote-debugging-pipe", "--user-data-dir=" + user_data_dir, "about:blank"],
            preexec_fn=child_fds, pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for fd in hi:
            os.close(fd)
        self._next = 0
        self._buf = b""
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_browser], [], [], left)[0]:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed the DevTools pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None, timeout=60):
        self._next += 1
        msg = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._on_event(reply, session)

    def _on_event(self, event, session):
        self.events.append(event)
        if event.get("method") == "Page.javascriptDialogOpening":  # never leave a dialog blocking the page
            self._next += 1
            os.write(self._to_browser, json.dumps({"id": self._next, "method": "Page.handleJavaScriptDialog",
                                                   "params": {"accept": True}, "sessionId": session}).encode() + b"\0")

    def wait_for(self, method, session, timeout=60):
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            self._on_event(self._read_message(deadline), session)

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except Exception:  # already gone: nothing to close
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chromium", default="chromium")
    ap.add_argument("--page", required=True)
    ap.add_argument("--screenshot", required=True)
    ap.add_argument("--gallery-screenshot")
    ap.add_argument("--expect-text", action="append", default=[])
    args = ap.parse_args()
    failures = []
    with tempfile.TemporaryDirectory() as profile:
        b = Browser(args.chromium, profile)
        try:
            target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            s = b.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                b.send(domain + ".enable", session=s)
            b.send("Emulation.setDeviceMetricsOverride",
                   {"width": 1300, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=s)
            b.send("Page.navigate", {"url": "file://" + os.path.abspath(args.page)}, session=s)
            b.wait_for("Page.loadEventFired", s)
            time.sleep(0.5)  # late console messages
            page = json.loads(b.send("Runtime.evaluate", {"expression": CHECK_JS, "returnByValue": True},
                                     session=s)["result"]["value"])
            b.send("Emulation.setDeviceMetricsOverride", {"width": 1300, "height": min(page["height"], 16000),
                                                          "deviceScaleFactor": 1, "mobile": False}, session=s)
            shot = b.send("Page.captureScreenshot", {"format": "png"}, session=s)
            with open(args.screenshot, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
            if args.gallery_screenshot:
                clip = {"x": 0, "y": page["galleryTop"], "width": 1300, "height": 1100, "scale": 1}
                shot = b.send("Page.captureScreenshot", {"format": "png", "clip": clip}, session=s)
                with open(args.gallery_screenshot, "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
        finally:
            b.close()
    for e in b.events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            failures.append("console error: " + json.dumps(p.get("args"))[:300])
        elif m == "Runtime.exceptionThrown":
            failures.append("exception: " + json.dumps(p.get("exceptionDetails"))[:300])
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            failures.append("console error: " + p["entry"].get("text", "")[:300])
        elif m == "Page.javascriptDialogOpening":
            failures.append("a script ran and opened a dialog: " + p.get("message", ""))
    if page["scripts"]:
        failures.append(f"{page['scripts']} script element(s) in the page")
    if page["handlers"]:
        failures.append("inline event handlers: " + ", ".join(page["handlers"][:10]))
    if not page["charts"]:
        failures.append("no chart in the page")
    for c in page["charts"]:
        if c["marks"] == 0 or c["w"] <= 0 or c["h"] <= 0 or c["bw"] <= 0 or c["bh"] <= 0:
            failures.append(f"chart {c['id']} not drawn: {c}")
    if not page["images"]:
        failures.append("no image in the page")
    for i in page["images"]:
        if not i["complete"] or i["w"] <= 0:
            failures.append(f"image not loaded: {i['alt']}")
    for text in args.expect_text:
        if text not in page["text"]:
            failures.append("text not shown literally: " + repr(text))
    print(f"report-browser-check: {len(page['charts'])} charts, {len(page['images'])} images, "
          f"{len(b.events)} DevTools events, screenshot {args.screenshot}")
    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
