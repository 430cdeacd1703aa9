"""The browser checker (tests/browser.py) must itself catch the problems it exists for.

Each test writes a tiny HTML page to tmp_path and inspects it with one shared
headless Chromium.  Outside CI these tests skip when Chromium is missing; with
CI=true they fail instead.
"""

from __future__ import annotations

import base64
import http.server
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

try:
    from tests import browser as checker
except ImportError:  # tests/ itself is on sys.path (rootdir without __init__.py)
    import browser as checker

ReportCheck = checker.ReportCheck
inspect_report = checker.inspect_report
launch_browser = checker.launch_browser
require_chromium = checker.require_chromium

pytestmark = pytest.mark.browser


def _png_data_uri(width: int = 4, height: int = 3) -> str:
    """A valid, really decodable RGB PNG, built by hand."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x20\x60\xa0" * width for _ in range(height))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _page(body: str, *, title: str = "Checker test", head: str = "") -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title}</title>{head}</head><body>{body}</body></html>"
    )


TOC = """
<nav id="toc"><ul>
  <li><a href="#summary">Summary</a></li>
  <li><a href="#churn-drivers">Churn drivers</a></li>
</ul></nav>
<section id="summary"><h2>Summary</h2><p>Retention is up.</p></section>
<section id="churn-drivers"><h2>Churn drivers</h2><p>Price.</p></section>
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    require_chromium()
    with launch_browser() as b:
        yield b


@pytest.fixture
def inspect(browser, tmp_path: Path):
    def run(html: str, name: str = "page.html", **kwargs) -> ReportCheck:
        path = tmp_path / name
        path.write_text(html, encoding="utf-8")
        return inspect_report(path, browser=browser, **kwargs)

    return run


def test_clean_page_has_no_problems(inspect, tmp_path: Path) -> None:
    html = _page(
        TOC
        + f'<img alt="chart" src="{_png_data_uri()}">'
        + "<script>document.body.dataset.ok = 1;</script>"
        + "<p>Отток клиентов снизился</p>",
        title="Retention report",
    )
    shot = tmp_path / "shot.png"
    check = inspect(html, screenshot=shot)

    assert check.problems() == []
    assert check.console_errors == []
    assert check.external_requests == []
    assert check.broken_images == []
    assert check.toc_links == 2
    assert check.broken_toc_links == []
    assert check.scripts == 1
    assert check.title == "Retention report"
    assert "Retention is up." in check.text
    assert "Отток клиентов снизился" in check.text
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_external_resources_are_recorded_and_aborted(inspect) -> None:
    script = "https://cdn.example.com/x.js"
    font_css = "https://fonts.googleapis.com/css2?family=Roboto&display=swap"
    html = _page(
        TOC + f'<script src="{script}"></script>',
        head=f'<link rel="stylesheet" href="{font_css}">',
    )
    check = inspect(html)

    assert script in check.external_requests
    assert font_css in check.external_requests
    # the route aborted both, and nothing came back from the network
    assert script in check.aborted_requests
    assert font_css in check.aborted_requests
    assert check.external_responses == []
    assert check.problems()  # an external request is a problem in itself


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 that counts the requests it receives."""
    _CountingHandler.hits = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_nothing_leaves_the_machine(local_server: str, tmp_path: Path) -> None:
    """The route alone stops every request, even to a reachable server.

    The browser here runs WITHOUT the host-resolver block (which would otherwise
    stop these requests by itself), and a control page opened without the route
    shows that the server really is reachable from it.
    """
    require_chromium()
    base = f"http://{local_server}"
    page = tmp_path / "leaky.html"
    page.write_text(
        _page(
            f'<img src="{base}/img.png" alt="x">'
            f'<script src="{base}/lib.js"></script>'
            f"<script>fetch('{base}/fetch').catch(() => {{}});"
            f"try {{ new WebSocket('ws://{local_server}/ws'); }} catch (e) {{}}"
            "</script>"
        ),
        encoding="utf-8",
    )
    with launch_browser(block_resolver=False) as open_browser:
        control = open_browser.new_context()
        try:
            control_page = control.new_page()
            control_page.goto(page.as_uri(), wait_until="load")
            control_page.wait_for_load_state("networkidle")
        finally:
            control.close()
        assert "/img.png" in _CountingHandler.hits, "control: server should be reachable"

        _CountingHandler.hits = []
        check = inspect_report(page, browser=open_browser)

    assert _CountingHandler.hits == []
    for path in ("/img.png", "/lib.js", "/fetch"):
        assert f"{base}{path}" in check.external_requests
        assert f"{base}{path}" in check.aborted_requests
    assert f"ws://{local_server}/ws" in check.external_requests
    assert check.external_responses == []
    assert check.broken_images == [f"{base}/img.png"]


def test_shared_browser_blocks_resolution_too(inspect, local_server: str) -> None:
    check = inspect(_page(f'<img src="http://{local_server}/img.png" alt="x">'))

    assert check.external_requests == [f"http://{local_server}/img.png"]
    assert _CountingHandler.hits == []


def test_broken_image_is_reported(inspect) -> None:
    html = _page(
        TOC
        + '<img alt="bad" src="data:image/png;base64,AAAA">'
        + f'<img alt="good" src="{_png_data_uri()}">'
    )
    check = inspect(html)

    assert check.broken_images == ["data:image/png;base64,AAAA"]
    assert check.external_requests == []


def test_long_image_src_is_truncated(inspect) -> None:
    src = "data:image/png;base64," + "A" * 200
    check = inspect(_page(f'<img alt="bad" src="{src}">'))

    assert check.broken_images == [src[:80]]


def test_lazy_offscreen_image_is_not_a_false_positive(inspect) -> None:
    html = _page(
        '<div style="height:5000px"></div>'
        + f'<img loading="lazy" alt="late" src="{_png_data_uri()}">'
    )
    check = inspect(html)

    assert check.broken_images == []


def test_script_error_is_reported(inspect) -> None:
    html = _page(
        TOC + "<script>console.error('explicit console error');</script>"
        "<script>undefinedFunctionInReport();</script>"
    )
    check = inspect(html)

    assert check.console_errors
    assert any("explicit console error" in m for m in check.console_errors)
    assert any("undefinedFunctionInReport" in m for m in check.console_errors)
    assert check.scripts == 2


def test_toc_link_to_missing_id_is_reported(inspect) -> None:
    html = _page(
        '<nav id="toc"><a href="#summary">Summary</a> <a href="#no-such-section">Gone</a>'
        ' <a href="#">Top</a></nav>'
        '<a href="#also-missing-but-outside-toc">ignored: not in the TOC</a>'
        '<section id="summary">Summary</section>'
    )
    check = inspect(html)

    assert check.toc_links == 3
    assert check.broken_toc_links == ["#no-such-section", "#"]


def test_page_without_toc(inspect) -> None:
    check = inspect(_page("<p>No table of contents here.</p>"))

    assert check.toc_links == 0
    assert check.broken_toc_links == []
    assert check.scripts == 0


def test_missing_file_raises(browser, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        inspect_report(tmp_path / "missing.html", browser=browser)


def test_standalone_call_starts_its_own_browser(browser, tmp_path: Path) -> None:
    """inspect_report() without browser= works, even while another browser is open."""
    path = tmp_path / "standalone.html"
    path.write_text(_page(TOC, title="Standalone"), encoding="utf-8")

    check = inspect_report(path)

    assert check.title == "Standalone"
    assert check.problems() == []


# ------------------------------------------------------- skip outside CI, fail in CI


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_missing_chromium_fails_under_ci(monkeypatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    monkeypatch.setattr(checker, "chromium_path", lambda: None)

    with pytest.raises(pytest.fail.Exception, match="CI=true but browser checks cannot run"):
        require_chromium()


@pytest.mark.parametrize("value", [None, "", "false", "0"])
def test_missing_chromium_skips_outside_ci(monkeypatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    monkeypatch.setattr(checker, "chromium_path", lambda: None)

    with pytest.raises(pytest.skip.Exception, match="system Chromium not found"):
        require_chromium()
