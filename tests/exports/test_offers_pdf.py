"""The one-page offers printed to PDF through one headless Chromium (playbook.report.browser):
one browser and one tab for all the pages, each PDF holding its own page, a failing or
hanging page reported without stopping the others (the next page in a new tab), the pages
kept offline, no ``.partial`` file or temporary profile left, and one browser per page when
the one browser cannot be used.
"""

from __future__ import annotations

import http.server
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from browser import in_ci, require_chromium

from playbook import exports
from playbook.report import browser as browser_mod
from playbook.report.document import find_chromium

pytestmark = pytest.mark.browser

WORDS = ["alpha", "bravo", "charlie", "delta"]


def _page(word: str, extra: str = "") -> str:
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{word}</title>'
            f"<style>@page {{ size: A4; margin: 16mm }}</style></head><body>"
            f"<h1>Offer {word}</h1><p>Only {word}-{word} is on this page.</p>{extra}"
            f"</body></html>")


def _text(pdf: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        reason = "pdftotext (poppler-utils) is not installed"
        pytest.fail(reason) if in_ci() else pytest.skip(reason)
    return subprocess.run([tool, str(pdf), "-"], capture_output=True, check=True,
                          timeout=60).stdout.decode("utf-8")


@pytest.fixture
def chromium():
    """The Chromium the playbook finds (skip without one, fail in CI)."""
    require_chromium()
    found = find_chromium()
    if found is None:
        pytest.fail("find_chromium() found none") if in_ci() else pytest.skip("no Chromium")
    return found


@pytest.fixture
def launches(monkeypatch):
    """The Chromium processes started, as ``(how, pid or None)``: ``spawn`` for the one
    browser (os.posix_spawn), ``popen`` for a browser per page (subprocess.Popen).
    """
    started: list[tuple[str, int | None]] = []
    spawn, popen = os.posix_spawn, subprocess.Popen

    def counted_spawn(path, argv, env, **kwargs):
        pid = spawn(path, argv, env, **kwargs)
        started.append(("spawn", pid))
        return pid

    class CountedPopen(popen):
        def __init__(self, args, *rest, **kwargs):
            if isinstance(args, list) and "--print-to-pdf" in " ".join(map(str, args)):
                started.append(("popen", None))
            super().__init__(args, *rest, **kwargs)

    monkeypatch.setattr(os, "posix_spawn", counted_spawn)
    monkeypatch.setattr(subprocess, "Popen", CountedPopen)
    return started


@pytest.fixture
def own_tmp(tmp_path, monkeypatch) -> Path:
    """A temporary folder of its own, to see that the browser's profiles are removed."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def tabs(monkeypatch) -> list[str]:
    """The tabs opened (``Target.createTarget``), in order."""
    opened: list[str] = []
    call = browser_mod.PdfPrinter._call

    def counted(self, method, *args, **kwargs):
        result = call(self, method, *args, **kwargs)
        if method == "Target.createTarget":
            opened.append(result["targetId"])
        return result

    monkeypatch.setattr(browser_mod.PdfPrinter, "_call", counted)
    return opened


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_several_offers_print_through_one_chromium(chromium, launches, tabs, own_tmp,
                                                   tmp_path):
    pages = {f"{word}-{i}": _page(word) for i, word in enumerate(WORDS)}
    written = exports.write_offers(pages, tmp_path / "w")
    assert written.pdf_error is None
    assert [how for how, _ in launches] == ["spawn"]  # one browser, none per page
    assert len(tabs) == 1  # and one tab
    assert sorted(p.name for p in written.pdf) == sorted(f"{stem}.pdf" for stem in pages)
    for pdf in written.pdf:
        assert pdf.read_bytes().startswith(b"%PDF-")
        word = pdf.stem.split("-")[0]
        text = _text(pdf)
        assert f"{word}-{word}" in text  # its own page, not another's
        assert not [w for w in WORDS if w != word and w in text]
    info = subprocess.run(["pdfinfo", str(written.pdf[0])], capture_output=True, text=True,
                          timeout=60).stdout if shutil.which("pdfinfo") else ""
    if info:  # as the command line printed it: tagged, the stylesheet's page size
        assert "Tagged:          yes" in info and "(A4)" in info
    assert not list((tmp_path / "w").glob("*.partial"))
    assert _gone(launches[0][1]) and list(own_tmp.iterdir()) == []


def test_a_hanging_page_times_out_and_the_others_print(chromium, launches, own_tmp,
                                                       tmp_path):
    pages = {"alpha-1": _page("alpha"),
             "bravo-2": _page("bravo", "<script>while (true) {}</script>"),  # never loads
             "charlie-3": _page("charlie")}
    started = time.monotonic()
    written = exports.write_offers(pages, tmp_path / "w", timeout=3)
    assert time.monotonic() - started < 30
    assert sorted(p.name for p in written.pdf) == ["alpha-1.pdf", "charlie-3.pdf"]
    assert "bravo-2.html" in written.pdf_error and "did not finish in 3 s" in written.pdf_error
    # the stuck browser was killed and a new one printed the page after it
    assert [how for how, _ in launches] == ["spawn", "spawn"]
    assert all(_gone(pid) for _, pid in launches)
    assert not list((tmp_path / "w").glob("*.partial")) and list(own_tmp.iterdir()) == []
    assert len(written.html) == 3  # the HTML files are all there


def test_a_missing_page_is_reported_and_the_browser_goes_on(chromium, launches, tabs,
                                                            tmp_path):
    pages = []
    for word in ("alpha", "bravo"):
        (tmp_path / f"{word}.html").write_text(_page(word), encoding="utf-8")
        pages.append((tmp_path / f"{word}.html", tmp_path / f"{word}.pdf"))
    missing = tmp_path / "gone.html"
    printed, error = browser_mod.print_pages(
        [pages[0], (missing, tmp_path / "gone.pdf"), pages[1]], chromium, timeout=30)
    assert printed == [pdf for _, pdf in pages]
    assert "alpha-alpha" in _text(printed[0]) and "bravo-bravo" in _text(printed[1])
    assert error.startswith("cannot make the PDF of gone.html: ")
    assert "ERR_FILE_NOT_FOUND" in error
    assert not (tmp_path / "gone.pdf").exists() and not list(tmp_path.glob("*.partial"))
    assert [how for how, _ in launches] == ["spawn"]
    assert len(tabs) == 2  # the page after the failed one prints in a new tab


def test_each_page_waits_for_its_own_file(chromium, tabs, tmp_path):
    """Pages in one tab: a file printed twice in a row, or changed between two prints, and
    names that the address percent-encodes, each PDF has the file as it was when printed.
    """
    names = ["Щука и «Ёж» 100% #1.html", "plain.html"]
    for name, word in zip(names, ("alpha", "bravo"), strict=True):
        (tmp_path / name).write_text(_page(word), encoding="utf-8")
    first, second = (tmp_path / name for name in names)
    printer = browser_mod.PdfPrinter(chromium, timeout=20)
    with printer:
        texts = [_text(printer.print_pdf(first, tmp_path / "1.pdf")),
                 _text(printer.print_pdf(first, tmp_path / "2.pdf")),
                 _text(printer.print_pdf(second, tmp_path / "3.pdf"))]
        second.write_text(_page("charlie"), encoding="utf-8")
        texts.append(_text(printer.print_pdf(second, tmp_path / "4.pdf")))
    words = [next(w for w in WORDS if f"{w}-{w}" in text) for text in texts]
    assert words == ["alpha", "alpha", "bravo", "charlie"]
    assert len(tabs) == 1 and printer.launches == 1


def test_a_pdf_that_cannot_be_written_is_reported(chromium, tmp_path):
    good = tmp_path / "alpha.html"
    good.write_text(_page("alpha"), encoding="utf-8")
    nowhere = tmp_path / "no-such-folder" / "alpha.pdf"
    printed, error = browser_mod.print_pages(
        [(good, nowhere), (good, tmp_path / "alpha.pdf")], chromium, timeout=30)
    assert printed == [tmp_path / "alpha.pdf"]
    assert error == "cannot make the PDF of alpha.html: cannot write alpha.pdf (No such file " \
                    "or directory)"


def test_the_pages_stay_offline(chromium, tmp_path, caplog):
    """A page asking for anything over the network (here a server on this machine) gets
    nothing: the request never leaves the browser, and the page still prints.
    """
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            asked.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        extra = (f'<link rel="stylesheet" href="{base}/style.css"><img src="{base}/logo.png">'
                 f'<iframe src="{base}/frame"></iframe>')
        with caplog.at_level(logging.WARNING, logger="playbook.report.browser"):
            # the second page in the same tab: the first page's blocking still holds
            written = exports.write_offers({"alpha-1": _page("alpha"),
                                            "bravo-2": _page("bravo", extra)}, tmp_path,
                                           timeout=30)
    finally:
        server.shutdown()
        server.server_close()
    assert asked == []
    assert written.pdf_error is None and "bravo-bravo" in _text(written.pdf[1])
    assert f"{base}/logo.png: blocked" in caplog.text


@pytest.mark.parametrize("script", ["exit 3", "exec sleep 60"], ids=["exits", "hangs"])
def test_a_browser_refusing_the_pipe_falls_back_to_one_browser_per_page(
        chromium, launches, own_tmp, tmp_path, caplog, script):
    """A browser that quits or never answers on the DevTools pipe: the pages are printed
    one browser per page (export_pdf), and the log says so.
    """
    fake = tmp_path / "fake-chromium"
    fake.write_text(f"#!/bin/sh\n{script}\n")
    fake.chmod(0o755)
    pages = []
    for word in WORDS[:2]:
        html = tmp_path / f"{word}.html"
        html.write_text(_page(word), encoding="utf-8")
        pages.append((html, tmp_path / f"{word}.pdf"))
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="playbook.report.browser"):
        printed, error = browser_mod.print_pages(pages, str(fake), timeout=5)
    assert time.monotonic() - started < 40
    assert error is None and printed == [pdf for _, pdf in pages]
    assert [how for how, _ in launches] == ["spawn", "popen", "popen"]
    assert "one browser per page instead" in caplog.text
    assert "bravo-bravo" in _text(tmp_path / "bravo.pdf")
    assert _gone(launches[0][1]) and list(own_tmp.iterdir()) == []
