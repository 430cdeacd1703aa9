"""One headless Chromium printing many HTML pages to PDF, over the DevTools protocol.

:func:`playbook.report.document.export_pdf` starts a whole Chromium for one page (about
0.6 s of CPU). The win-back offers are many pages, so :func:`print_pages` starts Chromium
once with ``--remote-debugging-pipe`` and prints every page through it, in one tab
(``Target.createTarget``): for each page the file opened in the tab, its load and its fonts
waited for, then ``Page.printToPDF`` with the options the command line's ``--print-to-pdf
--no-pdf-header-footer --generate-pdf-document-outline`` uses (:data:`PDF_OPTIONS`) and the
PDF written atomically (a ``.partial`` file, then renamed). A tab per page cost the browser
about 0.1 s more CPU a page (the demo's ten offers: 3.4 s of CPU, its start included, now
2.4 s); a page that fails gets its tab closed, and the next page a new one.

The protocol: Chromium reads commands from its file descriptor 3 and writes replies and
events to 4, each a JSON message ending with a NUL byte. Commands for a tab carry the
``sessionId`` of ``Target.attachToTarget(flatten=true)``.

Safety, as for ``export_pdf``: the same flags (no sandbox needed, no GPU, no sync, no
background networking, a throw-away profile), and pages stay offline: every request that
is not local (``file:``, ``data:``, ``about:``, ``blob:``) is failed (``Fetch``), and host
names do not resolve. Every read from the browser has a deadline (the page's ``timeout``):
a hung page or browser never hangs the run. A page that times out gets the browser killed
(the next page starts a new one); a page's own failure (a missing file, a print error) is
:class:`PageFailed`; a browser that cannot start, refuses the pipe or dies is
:class:`BrowserFailed`, and :func:`print_pages` then prints the pages left one browser per
page with ``export_pdf``, saying so in the log.
"""

from __future__ import annotations

import base64
import binascii
import fcntl
import json
import logging
import os
import select
import shutil
import signal
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from playbook.errors import PlaybookError

__all__ = ["BROWSER_FLAGS", "PDF_OPTIONS", "BrowserFailed", "PageFailed", "PdfPrinter",
           "print_pages"]

log = logging.getLogger(__name__)

#: The flags of :func:`playbook.report.document.export_pdf`, less the printing ones, plus
#: host names that never resolve (a second line of defence after ``Fetch``).
BROWSER_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage",
                 "--host-resolver-rules=MAP * ~NOTFOUND")
#: ``Page.printToPDF`` as the command line's ``--print-to-pdf --no-pdf-header-footer
#: --generate-pdf-document-outline``: the stylesheet's page size and margins, backgrounds,
#: no header or footer of Chromium's own, a tagged PDF with the headings as bookmarks.
PDF_OPTIONS = {"printBackground": True, "preferCSSPageSize": True,
               "displayHeaderFooter": False, "generateTaggedPDF": True,
               "generateDocumentOutline": True}
#: Requests whose URL starts so are let through; every other one is failed.
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")
#: The page is loaded and its fonts are ready; its address (``about:blank`` before the file).
_READY_JS = """(async () => {
  if (document.readyState !== 'complete')
    await new Promise((done) => addEventListener('load', done, {once: true}));
  await document.fonts.ready;
  return location.href;
})()"""
_CLOSE_WAIT = 5.0  # seconds for Chromium to quit on Browser.close before it is killed
_CHUNK = 1 << 20


class BrowserFailed(PlaybookError):
    """Chromium could not start, refused the pipe or died: no page's own fault."""


class PageFailed(PlaybookError):
    """One page could not be printed (missing, broken, too slow); the others can be."""


class _Timeout(Exception):
    """The deadline passed while waiting for the browser."""


class PdfPrinter:
    """One headless Chromium that prints HTML files to PDF, one tab per page.

    Chromium starts on the first :meth:`print_pdf` (and again after a page that timed out
    got it killed); :meth:`close` (or leaving the ``with`` block) ends it and removes its
    temporary profile. Not thread-safe: one printer, one thread.

    Parameters
    ----------
    browser
        The Chromium or Chrome executable (:func:`playbook.report.document.find_chromium`).
    timeout
        Seconds for starting the browser and for each page, from opening its tab to the PDF
        written.
    """

    def __init__(self, browser: str, *, timeout: float = 60) -> None:
        self.browser = browser
        self.timeout = timeout
        self.launches = 0  # how many times Chromium was started (tests, the log)
        self._pid: int | None = None
        self._tab: tuple[str, str] | None = None  # (target, session) the pages print in
        self._to_browser = self._from_browser = -1
        self._folder: str | None = None
        self._buffer = bytearray()
        self._events: list[dict] = []
        self._next_id = 0

    def __enter__(self) -> PdfPrinter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the browser ------------------------------------------------------------------

    def start(self) -> None:
        """Start Chromium with the DevTools pipe and check that it answers.

        Raises
        ------
        BrowserFailed
            When it cannot be started or does not answer within ``timeout``.
        """
        if self._pid is not None:
            return
        self._folder = tempfile.mkdtemp(prefix="playbook-pdf-")
        profile = os.path.join(self._folder, "profile")
        commands, replies = _high_pipe(), _high_pipe()  # (read, write) each
        command = [self.browser, *BROWSER_FLAGS, f"--user-data-dir={profile}",
                   "--remote-debugging-pipe", "about:blank"]
        actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 2, os.path.join(self._folder, "chromium.log"),
                    os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
                   (os.POSIX_SPAWN_DUP2, commands[0], 3),
                   (os.POSIX_SPAWN_DUP2, replies[1], 4)]
        try:
            # posix_spawn, not subprocess: Chromium needs the pipe on descriptors 3 and 4,
            # and dup2-ing them in a preexec_fn is unsafe in a process with threads (a
            # Jupyter kernel). setsid: the browser and its helpers are one process group.
            self._pid = os.posix_spawn(self.browser, command, dict(os.environ),
                                       file_actions=actions, setsid=True)
        except (OSError, NotImplementedError) as exc:  # NotImplementedError: no setsid
            for fd in (*commands, *replies):
                os.close(fd)
            self._remove_folder()
            raise BrowserFailed(f"cannot start {self.browser}: {exc}") from None
        self.launches += 1
        os.close(commands[0])
        os.close(replies[1])
        self._to_browser, self._from_browser = commands[1], replies[0]
        os.set_blocking(self._to_browser, False)
        try:
            self._call("Browser.getVersion", deadline=time.monotonic() + self.timeout)
        except _Timeout:
            self.kill()
            raise BrowserFailed(f"cannot make the PDF: {self.browser} did not answer on its "
                                f"DevTools pipe in {self.timeout:g} s") from None
        except PlaybookError:
            self.kill()
            raise

    def close(self) -> None:
        """Ask Chromium to quit, end what is left of it, and remove its profile."""
        if self._pid is not None:
            try:
                self._send("Browser.close", {}, None, time.monotonic() + 1)
            except (_Timeout, PlaybookError):
                pass
            waited = time.monotonic() + _CLOSE_WAIT
            # WNOWAIT: the exited browser stays a zombie, so its process id (the group's)
            # cannot be reused before kill() ends the helpers it may have left.
            while time.monotonic() < waited and not os.waitid(
                    os.P_PID, self._pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
                time.sleep(0.01)
        self.kill()

    def kill(self) -> None:
        """End Chromium and its helpers at once, close the pipe, remove the profile."""
        pid, self._pid = self._pid, None
        self._tab = None
        for fd in (self._to_browser, self._from_browser):
            if fd >= 0:
                os.close(fd)
        self._to_browser = self._from_browser = -1
        self._buffer.clear()
        self._events.clear()
        if pid is not None:
            try:
                os.killpg(pid, signal.SIGKILL)  # setsid: the group's id is the browser's
            except (ProcessLookupError, PermissionError):
                pass
            os.waitpid(pid, 0)
        self._remove_folder()

    def _remove_folder(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def _log_tail(self) -> str:
        """The last line Chromium wrote to its error output (why it refused), or ""."""
        if self._folder is None:
            return ""
        try:
            lines = Path(self._folder, "chromium.log").read_text("utf-8", "replace")
        except OSError:
            return ""
        tail = [line for line in lines.splitlines() if line.strip()][-1:]
        return f" ({tail[0].strip()[:300]})" if tail else ""

    # -- one page ---------------------------------------------------------------------

    def print_pdf(self, html: Path, target: Path) -> Path:
        """Print ``html`` to ``target`` (written atomically) and return ``target``.

        Raises
        ------
        PageFailed
            When the page cannot be opened or printed, or takes longer than ``timeout``
            (the browser is then killed; the next page starts another).
        BrowserFailed
            When the browser cannot be started or dies.
        """
        self.start()
        deadline = time.monotonic() + self.timeout
        try:
            _write_atomically(self._print_in(self._session(deadline), html, deadline),
                              target)
        except _Timeout:
            self.kill()  # the browser may be stuck in the page: never reuse it
            raise PageFailed(f"cannot make the PDF of {html.name}: {self.browser} did not "
                             f"finish in {self.timeout:g} s") from None
        except BrowserFailed:
            self.kill()  # gone or talking nonsense: end it and remove its profile
            raise
        except PageFailed as exc:
            self._close_tab()  # whatever state the page left, the next starts afresh
            raise PageFailed(f"cannot make the PDF of {html.name}: {exc}") from None
        finally:
            self._events.clear()
        return target

    def _session(self, deadline: float) -> str:
        """The session of the tab the pages print in (a new tab when there is none), its
        requests paused for :meth:`_answer_request` and its page events on.
        """
        if self._tab is None:
            tab = self._call("Target.createTarget", {"url": "about:blank"},
                             deadline=deadline)["targetId"]
            self._tab = (tab, "")  # closed if what follows fails
            session = self._call("Target.attachToTarget", {"targetId": tab, "flatten": True},
                                 deadline=deadline)["sessionId"]
            self._tab = (tab, session)
            for method, params in (("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}),
                                   ("Page.enable", None)):
                self._call(method, params, session, deadline, failure=PageFailed)
        return self._tab[1]

    def _print_in(self, session: str, html: Path, deadline: float) -> bytes:
        """The PDF of the file ``html`` opened in the tab of ``session``."""
        def call(method: str, params: dict | None = None) -> dict:
            return self._call(method, params, session, deadline, failure=PageFailed)

        url = html.resolve().as_uri()
        navigated = call("Page.navigate", {"url": url})
        if navigated.get("errorText"):
            raise PageFailed(navigated["errorText"])
        while True:
            self._wait_event(session, "Page.loadEventFired", deadline)
            ready = call("Runtime.evaluate", {"expression": _READY_JS, "awaitPromise": True,
                                              "returnByValue": True})
            if ready.get("result", {}).get("value") == url:
                break  # the file's own load event, not the blank tab's (as it was encoded)
        printed = call("Page.printToPDF", PDF_OPTIONS)
        try:
            data = base64.b64decode(printed.get("data", ""), validate=True)
        except (binascii.Error, TypeError):
            data = b""
        if not data.startswith(b"%PDF-"):
            raise PageFailed(f"{self.browser} printed no PDF")
        return data

    def _close_tab(self) -> None:
        """Close the pages' tab (the next page opens another); a browser that does not
        answer is killed.
        """
        tab, self._tab = self._tab, None
        if tab is None or self._pid is None:
            return
        try:
            self._call("Target.closeTarget", {"targetId": tab[0]},
                       deadline=time.monotonic() + min(self.timeout, 10))
        except (_Timeout, PlaybookError):
            self.kill()

    # -- the protocol -----------------------------------------------------------------

    def _send(self, method: str, params: dict | None, session: str | None,
              deadline: float) -> int:
        """Write one command; its id."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method,
                                   "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode("utf-8") + b"\0"
        while data:
            if self._to_browser < 0:
                raise BrowserFailed(f"cannot make the PDF: {self.browser} is not running")
            try:
                data = data[os.write(self._to_browser, data):]
            except BlockingIOError:
                self._select(select.POLLOUT, self._to_browser, deadline)
            except OSError as exc:  # BrokenPipeError: the browser is gone
                raise BrowserFailed(f"cannot make the PDF: {self.browser} closed its "
                                    f"DevTools pipe ({exc.strerror}){self._log_tail()}"
                                    ) from None
        return self._next_id

    def _call(self, method: str, params: dict | None = None, session: str | None = None,
              deadline: float = 0.0, *, failure: type[PlaybookError] = BrowserFailed
              ) -> dict:
        """Send a command and return its result; an error reply raises ``failure``."""
        wanted = self._send(method, params, session, deadline)
        while True:
            message = self._receive(deadline)
            if message.get("id") == wanted:
                if "error" in message:
                    error = message["error"].get("message", message["error"])
                    raise failure(f"{method} failed: {error}")
                return message.get("result", {})
            if "method" in message:
                self._events.append(message)

    def _wait_event(self, session: str, method: str, deadline: float) -> dict:
        """The next event ``method`` of ``session`` (kept ones first)."""
        while True:
            for index, event in enumerate(self._events):
                if event.get("method") == method and event.get("sessionId") == session:
                    return self._events.pop(index)
            self._events.clear()  # none of them is waited for
            message = self._receive(deadline)
            if "method" in message:
                self._events.append(message)

    def _receive(self, deadline: float) -> dict:
        """The next message from the browser; a paused request is answered on the way."""
        while True:
            end = self._buffer.find(b"\0")
            if end < 0:
                self._select(select.POLLIN, self._from_browser, deadline)
                try:
                    chunk = os.read(self._from_browser, _CHUNK)
                except OSError as exc:
                    chunk, reason = b"", exc.strerror
                else:
                    reason = "end of file"
                if not chunk:
                    raise BrowserFailed(f"cannot make the PDF: {self.browser} closed its "
                                        f"DevTools pipe ({reason}){self._log_tail()}")
                self._buffer += chunk
                continue
            raw = bytes(self._buffer[:end])
            del self._buffer[:end + 1]
            try:
                message = json.loads(raw)
            except ValueError:
                raise BrowserFailed(f"cannot make the PDF: {self.browser} sent a message "
                                    f"that is not JSON") from None
            if message.get("method") == "Fetch.requestPaused":
                self._answer_request(message, deadline)
                continue
            return message

    def _answer_request(self, event: dict, deadline: float) -> None:
        """Let a local request through; fail any other (the pages stay offline)."""
        params = event.get("params", {})
        url = str(params.get("request", {}).get("url", ""))
        reply: dict[str, Any] = {"requestId": params.get("requestId")}
        if url.lower().startswith(LOCAL_SCHEMES):
            method = "Fetch.continueRequest"
        else:
            method = "Fetch.failRequest"
            reply["errorReason"] = "BlockedByClient"
            log.warning("an offline page asked for %s: blocked", url[:200])
        self._send(method, reply, event.get("sessionId"), deadline)  # its reply is ignored

    def _select(self, events: int, fd: int, deadline: float) -> None:
        """Wait until ``fd`` is ready for ``events`` (or closed); :class:`_Timeout` at
        ``deadline``.
        """
        left = deadline - time.monotonic()
        if left <= 0:
            raise _Timeout
        poll = select.poll()  # not select.select: descriptors may be above 1023
        poll.register(fd, events)
        if not poll.poll(max(1, int(left * 1000))):
            raise _Timeout


def _write_atomically(data: bytes, target: Path) -> None:
    """Write ``data`` to ``target`` through ``<target>.partial``, never left behind."""
    partial = target.with_name(target.name + ".partial")
    try:
        partial.write_bytes(data)
        partial.replace(target)
    except OSError as exc:  # a full disk: this PDF is missing, the HTML is complete
        raise PageFailed(f"cannot write {target.name} ({exc.strerror})") from None
    finally:
        partial.unlink(missing_ok=True)


def _high_pipe() -> tuple[int, int]:
    """A pipe whose two ends are above descriptor 4 (close-on-exec): dup2 onto 3 and 4 in
    the child then never clobbers one end with the other.
    """
    read, write = os.pipe()
    try:
        return (fcntl.fcntl(read, fcntl.F_DUPFD_CLOEXEC, 5),
                fcntl.fcntl(write, fcntl.F_DUPFD_CLOEXEC, 5))
    finally:
        os.close(read)
        os.close(write)


def print_pages(pages: Sequence[tuple[Path, Path]], browser: str, *, timeout: float = 60
                ) -> tuple[list[Path], str | None]:
    """Print each ``(html, pdf)`` of ``pages`` through one Chromium; the PDFs printed and
    the last error (None when every page printed).

    A page that fails is left out (its error returned) and the others go on. When the
    browser itself fails, the pages left are printed one Chromium per page with
    :func:`playbook.report.document.export_pdf` (the log says so).
    """
    from playbook.report.document import export_pdf

    printed: list[Path] = []
    error: str | None = None
    left = list(pages)
    with PdfPrinter(browser, timeout=timeout) as printer:
        while left:
            html, pdf = left[0]
            try:
                printed.append(printer.print_pdf(html, pdf))
            except PageFailed as exc:
                error = str(exc)
            except BrowserFailed as exc:
                log.warning("printing %d page(s) through one browser failed: %s; printing "
                            "them one browser per page instead", len(left), exc)
                break
            left.pop(0)
    log.info("%d of %d page(s) printed to PDF through %d browser(s)", len(printed),
             len(pages), printer.launches)
    for html, pdf in left:
        try:
            printed.append(export_pdf(html, pdf, timeout=timeout))
        except PlaybookError as exc:
            error = str(exc)
    return printed, error
