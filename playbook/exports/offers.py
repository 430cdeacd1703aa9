"""The one-page offers to customers who left: their file names and writing them.

Each offer is one HTML file in the run's ``exports/winback/`` (built by
:func:`playbook.winback.onepager.build`), written atomically, and printed to a PDF beside
it when Chromium is installed: all the offers through one Chromium
(:func:`playbook.report.browser.print_pages`); without Chromium, or when printing fails, the
HTML stays and the run goes on.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["OFFERS_FOLDER", "OffersWritten", "offer_stem", "write_offers"]

#: The offers' folder inside the run's ``exports/`` (and in the managers' links).
OFFERS_FOLDER = "winback"
_WORD = re.compile(r"[^\W_]+")  # a run of letters and digits
#: The readable part of a stem, in UTF-8 bytes (the hash and ``-`` come on top).
_READABLE_BYTES = 60
_HASH_CHARS = 8


def offer_stem(name, customer_id) -> str:
    """The file stem of a customer's offer: the words of its name (letters and digits joined
    by ``_``, cut to fit) and ``-`` with eight hex digits of the SHA-256 of the customer id.

    Safe on every system (no separator, punctuation, control or reserved device name: the
    hash always follows) and distinct for two customers whose names read alike
    (``ООО «Альфа»`` and ``ООО Альфа``): the id decides. The same customer always gets the
    same stem. ``<script>`` -> ``script-…``, ``=HYPERLINK("x")`` -> ``HYPERLINK_x-…``.
    """
    words = _WORD.findall(unicodedata.normalize("NFC", "" if name is None else str(name)))
    readable = "_".join(words).encode("utf-8")[:_READABLE_BYTES].decode("utf-8", "ignore")
    digest = hashlib.sha256(str(customer_id).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{readable.rstrip('_') or 'customer'}-{digest[:_HASH_CHARS]}"


@dataclass
class OffersWritten:
    """What :func:`write_offers` wrote: the HTML files, the PDFs, and why there are none."""

    html: list[Path] = field(default_factory=list)
    pdf: list[Path] = field(default_factory=list)
    #: None: every PDF printed (or nothing to print); "none": no Chromium; else the error
    pdf_error: str | None = None

    def relative(self, run_dir: Path) -> list[str]:
        """The HTML files' paths relative to the run folder, sorted (``/`` separated)."""
        return sorted(p.relative_to(run_dir).as_posix() for p in self.html)


def write_offers(pages: dict[str, str], folder: Path, *, pdf: bool = True,
                 timeout: float = 60) -> OffersWritten:
    """Write ``{file stem: HTML}`` into ``folder`` (created), each atomically, and print each
    to PDF beside it when ``pdf`` and Chromium is installed, all through one Chromium
    (``timeout`` seconds at most per page; a page that fails is left out, its error in
    ``pdf_error``).

    Raises
    ------
    RuntimeError
        When two stems would share a file where names ignore case (never overwritten).
    """
    from playbook.report.browser import print_pages
    from playbook.report.document import find_chromium

    seen: dict[str, str] = {}
    for stem in pages:
        other = seen.setdefault(stem.casefold(), stem)
        if other != stem:
            raise RuntimeError(f"Offers {other!r} and {stem!r} would share one file name.")
    folder.mkdir(parents=True, exist_ok=True)
    out = OffersWritten()
    for stem, text in sorted(pages.items()):
        path = folder / f"{stem}.html"
        partial = path.with_name(path.name + ".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
        out.html.append(path)
    if not pages or not pdf:
        return out
    browser = find_chromium()
    if browser is None:
        out.pdf_error = "none"
        return out
    # The HTML is complete whatever happens; the consultant's note says why a PDF is missing.
    out.pdf, out.pdf_error = print_pages([(p, p.with_suffix(".pdf")) for p in out.html],
                                         browser, timeout=timeout)
    return out
