"""Headless-browser checks for the rendered client report (test support, not a test file).

The report must be a self-contained HTML file: it has to render in a browser with
no network access, without script errors, with every image decoded and with a
table of contents whose links all land somewhere.  ``inspect_report`` opens a
local HTML file in the system's Chromium (driven by Playwright, never Playwright's
own downloaded browser) and returns what it saw as a ``ReportCheck``.

Nothing is allowed to leave the machine while a page is inspected:

* every request whose scheme is not local (file:, data:, about:, blob:) is
  recorded in ``external_requests`` and aborted by a catch-all route;
* WebSocket connections are recorded the same way and never connected;
* host-name resolution is disabled inside Chromium as a second line of defence
  (covers preconnect/DNS prefetch, which never reach the route handler).
  The route alone is sufficient (tests/test_browser_checker.py proves it with the
  resolver block switched off against a real server on 127.0.0.1).

Typical use in a test::

    from tests.browser import inspect_report, require_chromium

    def test_report_is_self_contained(report_path):
        require_chromium()
        check = inspect_report(report_path)
        assert check.external_requests == []
        assert check.problems() == []

Chromium lookup: ``chromium_path()``.  Outside CI a missing Chromium (or a missing
playwright package) skips the test; with ``CI`` set (``CI=true``) it fails loudly.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:  # playwright is imported lazily so that a missing package can skip
    from playwright.sync_api import Browser

__all__ = [
    "CHROMIUM_ARGS",
    "LOCAL_SCHEMES",
    "ReportCheck",
    "chromium_path",
    "in_ci",
    "inspect_report",
    "launch_browser",
    "needs_chromium",
    "require_chromium",
]

#: Schemes that never touch the network.  Everything else is recorded and aborted.
LOCAL_SCHEMES = frozenset({"file", "data", "about", "blob"})

#: Chromium switches used for every launch.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)

#: Makes every host name -- and, in Chromium, IP literals too -- unresolvable.
_BLOCK_RESOLVER_ARG = "--host-resolver-rules=MAP * ~NOTFOUND"

_CHROMIUM_CANDIDATES = ("/usr/bin/chromium",)
_CHROMIUM_NAMES = ("chromium", "chromium-browser")

_NAV_TIMEOUT_MS = 30_000
_SETTLE_TIMEOUT_MS = 5_000  # wait for late (script-initiated) requests after "load"
_IMG_TIMEOUT_MS = 5_000
_SRC_MAX = 80


@dataclass
class ReportCheck:
    """What the browser saw when it opened one HTML file."""

    console_errors: list[str] = field(default_factory=list)
    """Console messages of type ``error`` plus uncaught page errors, in order."""
    external_requests: list[str] = field(default_factory=list)
    """URLs (deduplicated, in order) of every non-local request; all were aborted."""
    broken_images: list[str] = field(default_factory=list)
    """``src`` (first 80 chars) of every ``<img>`` with ``naturalWidth == 0`` after load."""
    toc_links: int = 0
    """Number of ``a[href^="#"]`` inside ``nav#toc``."""
    broken_toc_links: list[str] = field(default_factory=list)
    """hrefs of TOC links whose target id is not in the document."""
    scripts: int = 0
    """Number of ``<script>`` elements."""
    title: str = ""
    """``document.title``."""
    text: str = ""
    """``document.body.innerText``."""
    aborted_requests: list[str] = field(default_factory=list)
    """Non-local URLs the interception route actually aborted (proof nothing went out)."""
    external_responses: list[str] = field(default_factory=list)
    """Non-local URLs that nevertheless got a response.  Must always be empty."""

    def problems(self) -> list[str]:
        """Human-readable list of everything wrong; empty for a clean report."""
        out: list[str] = []
        out += [f"console error: {m}" for m in self.console_errors]
        out += [f"external request: {u}" for u in self.external_requests]
        out += [f"external response (request escaped!): {u}" for u in self.external_responses]
        out += [f"broken image: {s}" for s in self.broken_images]
        out += [f"broken TOC link: {h}" for h in self.broken_toc_links]
        return out


# --------------------------------------------------------------------------- chromium


def chromium_path() -> str | None:
    """Path of the system Chromium, or None.

    Looks at ``/usr/bin/chromium`` first, then ``chromium`` and ``chromium-browser``
    on PATH.
    """
    for candidate in _CHROMIUM_CANDIDATES:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    for name in _CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def in_ci() -> bool:
    """True when running in CI (env var ``CI`` set to anything but ''/0/false/no)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _playwright_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def _missing_reason() -> str | None:
    if chromium_path() is None:
        return (
            "system Chromium not found (/usr/bin/chromium, chromium, chromium-browser); "
            "install it with: apt-get install -y --no-install-recommends chromium "
            "fonts-dejavu-core  (or run: bash .ci/run)"
        )
    if not _playwright_available():
        return "python package 'playwright' is not installed (install the test extras)"
    return None


def require_chromium() -> str:
    """Return the Chromium path; skip the test if it is unavailable, FAIL under CI.

    Call it at the top of a test or inside a fixture.
    """
    reason = _missing_reason()
    if reason is not None:
        if in_ci():
            pytest.fail(f"CI=true but browser checks cannot run: {reason}", pytrace=False)
        pytest.skip(reason)
    path = chromium_path()
    assert path is not None
    return path


#: Marker: skip when Chromium/playwright is missing -- but only outside CI.  Under CI
#: the condition is always False, the test runs, and ``require_chromium()`` /
#: ``launch_browser()`` fail with an explicit message.
needs_chromium = pytest.mark.skipif(
    not in_ci() and _missing_reason() is not None,
    reason=_missing_reason() or "system Chromium available",
)


@contextmanager
def launch_browser(*, block_resolver: bool = True) -> Iterator[Browser]:
    """Start headless system Chromium via Playwright; closes it on exit.

    ``block_resolver`` (default True) adds ``--host-resolver-rules=MAP * ~NOTFOUND``
    so that even connections that never reach the request route (preconnect, DNS
    prefetch) go nowhere.  Only the checker's own tests turn it off, to prove the
    route alone already stops every request.

    Raises RuntimeError when Chromium or playwright is missing (use
    ``require_chromium()`` first for the skip/fail policy).
    """
    reason = _missing_reason()
    if reason is not None:
        raise RuntimeError(reason)
    with _playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=[*CHROMIUM_ARGS, *([_BLOCK_RESOLVER_ARG] if block_resolver else [])],
        )
        try:
            yield browser
        finally:
            browser.close()


# Playwright's sync API allows only one running instance per thread, so nested
# launch_browser() calls (e.g. a module fixture plus a one-off browser, or
# inspect_report() without browser= inside such a module) share one, ref-counted.
_pw_instance = None
_pw_users = 0


@contextmanager
def _playwright():
    global _pw_instance, _pw_users
    if _pw_instance is None:
        from playwright.sync_api import sync_playwright

        _pw_instance = sync_playwright().start()
    _pw_users += 1
    try:
        yield _pw_instance
    finally:
        _pw_users -= 1
        if _pw_users == 0:
            instance, _pw_instance = _pw_instance, None
            instance.stop()


# --------------------------------------------------------------------------- inspection

_IMAGES_JS = """
async ([timeoutMs, maxLen]) => {
  const imgs = Array.from(document.images);
  await Promise.all(imgs.map((img) => {
    if (img.loading === 'lazy') img.loading = 'eager';  // off-screen images must load too
    if (img.complete) return null;
    return new Promise((resolve) => {
      img.addEventListener('load', resolve, {once: true});
      img.addEventListener('error', resolve, {once: true});
      setTimeout(resolve, timeoutMs);
    });
  }));
  return imgs
    .filter((img) => img.naturalWidth === 0)
    .map((img) => (img.getAttribute('src') || img.currentSrc || '').slice(0, maxLen));
}
"""

_DOM_JS = """
() => {
  const links = Array.from(document.querySelectorAll('nav#toc a[href^="#"]'));
  const broken = [];
  for (const a of links) {
    const href = a.getAttribute('href');
    let id = href.slice(1);
    try { id = decodeURIComponent(id); } catch (e) { /* keep raw */ }
    if (!id || document.getElementById(id) === null) broken.push(href);
  }
  return {
    tocLinks: links.length,
    brokenToc: broken,
    scripts: document.scripts.length,
    title: document.title,
    text: document.body ? document.body.innerText : '',
  };
}
"""


def _is_local(url: str) -> bool:
    return urlsplit(url).scheme.lower() in LOCAL_SCHEMES


def _append_unique(items: list[str], value: str) -> None:
    if value not in items:
        items.append(value)


def inspect_report(
    html_path: Path,
    *,
    screenshot: Path | None = None,
    browser: Browser | None = None,
) -> ReportCheck:
    """Open ``html_path`` in headless Chromium and report what happened.

    ``screenshot``: if given, a full-page PNG is written there.
    ``browser``: reuse an already launched browser (see ``launch_browser``); a fresh
    isolated context is used either way.  Without it a browser is started and
    stopped for this one call.
    """
    html_path = Path(html_path)
    if not html_path.is_file():
        raise FileNotFoundError(html_path)
    if browser is None:
        with launch_browser() as own_browser:
            return _inspect(own_browser, html_path, screenshot)
    return _inspect(browser, html_path, screenshot)


def _inspect(browser: Browser, html_path: Path, screenshot: Path | None) -> ReportCheck:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import Route, WebSocketRoute

    check = ReportCheck()

    def on_route(route: Route) -> None:
        url = route.request.url
        if _is_local(url):
            route.continue_()
            return
        _append_unique(check.external_requests, url)
        route.abort("blockedbyclient")
        _append_unique(check.aborted_requests, url)

    def on_websocket(ws: WebSocketRoute) -> None:
        # Not calling connect_to_server() means no connection is ever made.
        _append_unique(check.external_requests, ws.url)
        _append_unique(check.aborted_requests, ws.url)
        ws.close(code=1008, reason="blocked by report checker")

    def on_request(request) -> None:  # also catches anything the route did not see
        if not _is_local(request.url):
            _append_unique(check.external_requests, request.url)

    def on_response(response) -> None:
        if not _is_local(response.url):
            _append_unique(check.external_responses, response.url)

    def on_console(msg) -> None:
        if msg.type == "error":
            check.console_errors.append(msg.text)

    def on_page_error(err) -> None:
        name = getattr(err, "name", "") or "Error"
        message = getattr(err, "message", "") or str(err)
        check.console_errors.append(f"Uncaught {name}: {message}")

    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        service_workers="block",
        accept_downloads=False,
    )
    try:
        context.route("**/*", on_route)
        page = context.new_page()
        page.set_default_timeout(_NAV_TIMEOUT_MS)
        page.route("**/*", on_route)
        if hasattr(page, "route_web_socket"):  # playwright >= 1.48
            page.route_web_socket("**/*", on_websocket)
        page.on("websocket", on_request)  # WebSocket objects have .url too
        page.on("request", on_request)
        page.on("response", on_response)
        page.on("console", on_console)
        page.on("pageerror", on_page_error)

        page.goto(html_path.resolve().as_uri(), wait_until="load")
        try:  # give script-initiated requests a chance to show up
            page.wait_for_load_state("networkidle", timeout=_SETTLE_TIMEOUT_MS)
        except PlaywrightError:
            pass

        check.broken_images = list(page.evaluate(_IMAGES_JS, [_IMG_TIMEOUT_MS, _SRC_MAX]))
        dom = page.evaluate(_DOM_JS)
        check.toc_links = int(dom["tocLinks"])
        check.broken_toc_links = list(dom["brokenToc"])
        check.scripts = int(dom["scripts"])
        check.title = dom["title"]
        check.text = dom["text"]

        if screenshot is not None:
            screenshot = Path(screenshot)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
    finally:
        context.close()
    return check
