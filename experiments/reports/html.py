"""Self-contained HTML pages: figures embedded as PNG, tables, a print stylesheet, and a PDF.

- `page`: a complete page, readable on a screen from 1280 px and on A4 paper (its
  `@media print` rules: no contents box, no link colours, headings kept with what
  follows, rows and figures not split across pages, table headers repeated);
- `grid`: a table of cells already worded (`experiments.wording.formats`), headers that may
  hold links; numbers right-aligned; a cell is never broken inside a word;
- `table`: a pandas table as it is, numbers to three significant digits without an
  exponent, `n/a` for a missing value;
- `figure`: an embedded PNG with its caption and alternative text;
- `write_pdf`: the page printed to PDF by headless Chromium, the browser's own
  print-to-PDF, so the PDF is what the print stylesheet gives (no Python library).
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from experiments.wording.formats import NA, missing, number

# Names under which Debian, other distributions and Google ship the browser.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PDF_TIMEOUT_S = 120

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1200px;
  margin:1.5em auto;padding:0 1.5em;line-height:1.45;color:#1d1d1d}
h1{font-size:1.8em;margin-bottom:0.2em} h2{margin-top:1.6em} h3{margin-top:1.2em}
p.meta{color:#555;margin-top:0}
.answer{font-size:1.1em;background:#f3f6fb;border-left:5px solid #2a6ebb;
  padding:0.7em 1em;margin:1em 0}
.warning{background:#fff5e6;border-left:5px solid #d98200;padding:0.5em 1em;margin:0.8em 0}
.warning li{margin:0.25em 0}
nav.contents{font-size:0.95em;margin:1em 0;padding:0.5em 1em;background:#fafafa;
  border:1px solid #e3e3e3}
nav.contents a{margin-right:1.1em;white-space:nowrap}
table{border-collapse:collapse;font-size:0.9em;margin:0.6em 0 1.2em;max-width:100%}
th,td{border:1px solid #c9c9c9;padding:4px 8px;vertical-align:top;text-align:left;
  overflow-wrap:normal;word-break:normal;hyphens:manual}
th{background:#f0f0f0;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
caption{caption-side:bottom;text-align:left;font-size:0.85em;color:#555;padding-top:0.3em}
a.term{color:inherit;text-decoration:underline dotted #2a6ebb;text-underline-offset:2px}
figure{margin:1em 0} figcaption{font-size:0.9em;color:#444;margin-top:0.3em}
img{max-width:100%;height:auto}
dl.glossary dt{font-weight:600;margin-top:0.6em} dl.glossary dd{margin-left:1.5em}
p.note{font-size:0.9em;color:#444}
@media print{
  @page{size:A4;margin:14mm 12mm}
  body{max-width:none;margin:0;padding:0;font-size:9.5pt;color:#000}
  nav.contents{display:none}
  a,a.term{color:inherit;text-decoration:none}
  h1,h2,h3{break-after:avoid}
  .answer,.warning,figure,tr,dt,dd{break-inside:avoid}
  thead{display:table-header-group}
  table{font-size:8.5pt}
  .answer{background:none;border-left:3px solid #000}
  .warning{background:none;border-left:3px solid #000}
}
"""


def png(fig: plt.Figure) -> str:
    """The figure as a base64 PNG, closed afterwards."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def figure(image: str, caption: str, alt: str) -> str:
    """An embedded figure: the PNG (base64), its caption (HTML) and its alternative text."""
    return (
        f'<figure><img src="data:image/png;base64,{image}" alt="{html.escape(alt)}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _cell(value: object) -> str:
    if isinstance(value, float):
        return number(value)
    return NA if value is None else str(value)


def table(frame: pd.DataFrame) -> str:
    """A table with three significant digits, no exponent, and `n/a` for missing values."""
    frame = frame.map(lambda v: NA if isinstance(v, float) and missing(v) else v)
    return frame.to_html(index=False, float_format=number, na_rep=NA)


def _numeric(text: str) -> bool:
    head = text.split(" (")[0].removeprefix("under ").removeprefix("over ")
    head = head.replace(",", "").replace("%", "").strip()
    try:
        float(head)
    except ValueError:
        return False
    return True


def grid(
    headers: Mapping[str, str], rows: Iterable[Mapping[str, object]], caption: str = ""
) -> str:
    """A table of worded cells.

    Args:
        headers: Column key -> heading, in order (HTML: it may hold glossary links).
        rows: Each a mapping of column key -> cell (text, escaped here; a float is
            written by `formats.number`, a missing one as n/a).
        caption: A note under the table (HTML).

    Returns:
        The table's HTML; numbers (and "number (low to high)" cells) right-aligned.
    """
    head = "".join(f'<th scope="col">{heading}</th>' for heading in headers.values())
    body = []
    for row in rows:
        cells = []
        for key in headers:
            text = _cell(row.get(key))
            kind = ' class="num"' if _numeric(text) else ""
            cells.append(f"<td{kind}>{html.escape(text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    note = f"<caption>{caption}</caption>" if caption else ""
    return (
        f"<table>{note}<thead><tr>{head}</tr></thead><tbody>\n"
        + "\n".join(body)
        + "\n</tbody></table>"
    )


def page(title: str, body: str, figures: list[str] | None = None, meta: str = "") -> str:
    """A complete HTML page: the title, a line under it, the body (HTML), figures last.

    Args:
        title: The page's title (text).
        body: Its content (HTML).
        figures: Base64 PNGs shown at the end under "Figures" (pages that place
            their figures in the body with `figure` give none).
        meta: A line under the title (HTML): what was compared, when.
    """
    images = "\n".join(
        f'<img src="data:image/png;base64,{image}" alt="figure {index}">'
        for index, image in enumerate(figures or [], start=1)
    )
    figures_html = f"<h2>Figures</h2>{images}" if images else ""
    meta_html = f'<p class="meta">{meta}</p>' if meta else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{STYLE}</style>
</head><body>
<h1>{html.escape(title)}</h1>
{meta_html}
{body}
{figures_html}
</body></html>
"""


def _exited(pid: int, timeout: float) -> bool:
    """Wait up to `timeout` seconds for a child to exit, without reaping it.

    Left a zombie, the child keeps its process group's id from being reused until
    `_end_group` has signalled the group.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return True
        time.sleep(0.05)
    return False


def _end_group(process: subprocess.Popen) -> None:
    """Kill every process of a child's process group (the child leads it), then reap the child."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def browser() -> str | None:
    """The path of a Chromium-family browser on this machine, or None."""
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def write_pdf(source: Path, target: Path) -> str | None:
    """Print an HTML file to PDF with headless Chromium (its print stylesheet applies).

    Chromium starts a dozen processes (renderer, GPU, zygote, crash handler). It is
    started in a session and process group of its own, so that a Ctrl-C reaches
    only this program, which then ends the whole group (and every other way out:
    an error, a timeout, the browser's own end) and waits for it before removing
    the temporary profile: no browser left running, no `/tmp/alliance-pdf-*` left
    behind. A `KeyboardInterrupt` goes on to the command, which exits 130 in one
    line (`experiments.process.interrupts.guarded`).

    Args:
        source: The HTML file.
        target: The PDF to write.

    Returns:
        None when the PDF is written; otherwise why not, in words (no browser, or
        the browser failed), for the command to say in one line.
    """
    executable = browser()
    if executable is None:
        return f"no Chromium browser found ({', '.join(BROWSERS)}; make browser installs it)"
    profile = Path(tempfile.mkdtemp(prefix="alliance-pdf-"))
    command = [
        executable,
        "--headless=new",
        "--no-sandbox",  # as root (CI) Chromium refuses to start without it
        "--disable-gpu",
        "--no-pdf-header-footer",
        f"--user-data-dir={profile}",
        f"--print-to-pdf={target}",
        source.resolve().as_uri(),
    ]
    process = None
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: Ctrl-C is ours to pass on
        )
        if not _exited(process.pid, PDF_TIMEOUT_S):
            return f"{Path(executable).name} failed: no PDF after {PDF_TIMEOUT_S} s"
    except OSError as error:
        return f"{Path(executable).name} failed: {error}"
    finally:
        if process is not None:
            _end_group(process)
        for _ in range(3):  # a killed process may still be leaving files: retry briefly
            shutil.rmtree(profile, ignore_errors=True)
            if not profile.exists():
                break
            time.sleep(0.1)
    if not target.is_file() or target.read_bytes()[:5] != b"%PDF-":
        return f"{Path(executable).name} wrote no PDF"
    return None
