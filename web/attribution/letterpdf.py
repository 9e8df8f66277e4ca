"""Letters' HTML to PDF files with WeasyPrint, fast: the part of writing a run's letters
that runs in a pool of processes (issue 15, 6: a region's 464 letters under 15 s).

Django-free on purpose: a pool's process is spawned (a fresh interpreter, no fork of a
process holding database connections and threads) and imports this module only.

* One :class:`weasyprint.text.fonts.FontConfiguration` per process, reused by every
  letter: building it (fontconfig, the fonts' metrics) took about 40 % of a letter's time.
* Each letter is still its own WeasyPrint document: the page numbers ("Page 1 de 2") are
  the letter's, and a letter that fails names itself. Laying many letters out as one
  document was measured no faster per page (docs/attribution-web-letters.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["pdf_of", "workers", "write_files"]

# Letters sent to a pool's process at once: small enough for a progress report every
# second or so, large enough that the exchange with the process costs nothing.
CHUNK = 12
# Below this many letters the pool's start (a fresh interpreter importing WeasyPrint,
# about half a second) costs more than it saves.
POOL_FROM = 40

_fonts: Any = None


def _font_config() -> Any:
    global _fonts
    if _fonts is None:
        from weasyprint.text.fonts import FontConfiguration

        _fonts = FontConfiguration()
    return _fonts


def pdf_of(html: str) -> tuple[bytes, int]:
    """The PDF of one letter's page (``html``, self-contained: no URL is fetched), and
    its number of pages."""
    import weasyprint

    fonts = _font_config()
    document = weasyprint.HTML(string=html, base_url=None).render(font_config=fonts)
    return document.write_pdf(), len(document.pages)


def _write_chunk(folder: str, chunk: Sequence[tuple[str, str]]) -> list[tuple[str, int]]:
    """Write each ``(file name, html)`` of ``chunk`` as a PDF in ``folder``; their pages."""
    pages = []
    for name, html in chunk:
        content, count = pdf_of(html)
        Path(folder, name).write_bytes(content)
        pages.append((name, count))
    return pages


def workers() -> int:
    """Processes writing the PDFs: ``PANELCARE_LETTER_WORKERS``, else the machine's cores
    (at most 4: the web server and the database share the machine)."""
    configured = os.environ.get("PANELCARE_LETTER_WORKERS", "").strip()
    if configured:
        return max(1, int(configured))
    return max(1, min(4, os.cpu_count() or 1))


def write_files(
    folder: Path,
    letters: Iterable[tuple[str, str]],
    *,
    progress: Callable[[int], None] | None = None,
    written: Callable[[list[str]], None] | None = None,
    processes: int | None = None,
) -> dict[str, int]:
    """Write each letter ``(file name, html)`` as a PDF file in ``folder``.

    Args:
        folder: where the files go (exists).
        letters: the file names and the letters' HTML pages.
        progress: called with the number of letters written so far, after each chunk;
            it may raise to stop the writing (the pool's processes are stopped, the files
            written so far stay in ``folder`` for the caller to remove).
        written: called with the file names of each chunk, in the order of ``letters``,
            as soon as they are written (the caller merges them meanwhile).
        processes: processes of the pool (:func:`workers` by default); 1, or fewer
            letters than :data:`POOL_FROM`, writes them in this process.

    Returns:
        Each file name's number of pages.
    """
    items = list(letters)
    report = progress or (lambda done: None)
    done = written or (lambda names: None)
    chunks = [items[start : start + CHUNK] for start in range(0, len(items), CHUNK)]
    processes = min(processes or workers(), len(chunks))
    pages: dict[str, int] = {}
    if processes <= 1 or len(items) < POOL_FROM:
        for chunk in chunks:
            chunk_pages = _write_chunk(str(folder), chunk)
            pages.update(chunk_pages)
            done([name for name, _count in chunk_pages])
            report(len(pages))
        return pages

    import multiprocessing

    context = multiprocessing.get_context("spawn")
    # The pool's exit terminates its processes: a progress report that raises (a
    # cancelled writing) stops them at once.
    with context.Pool(processes) as pool:
        results = [pool.apply_async(_write_chunk, (str(folder), chunk)) for chunk in chunks]
        for result in results:
            chunk_pages = result.get()
            pages.update(chunk_pages)
            report(len(pages))
            done([name for name, _count in chunk_pages])
    return pages
