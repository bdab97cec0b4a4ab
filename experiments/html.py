"""Self-contained HTML pages: figures embedded as PNG, tables from pandas."""

from __future__ import annotations

import base64
import html
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd


def png(fig: plt.Figure) -> str:
    """The figure as a base64 PNG, closed afterwards."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def table(frame: pd.DataFrame) -> str:
    """A table with three significant digits and `n/a` for missing values."""
    return frame.to_html(index=False, float_format=lambda v: f"{v:,.3g}", na_rep="n/a")


def page(title: str, body: str, figures: list[str]) -> str:
    """A complete HTML page: the title, the body (HTML) and the figures below it."""
    images = "\n".join(
        f'<img src="data:image/png;base64,{figure}" style="max-width:100%">' for figure in figures
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:2em auto;}}
table{{border-collapse:collapse;font-size:0.85em;max-width:100%}}
td,th{{border:1px solid #ccc;padding:3px 6px;overflow-wrap:anywhere}}</style>
</head><body>
<h1>{html.escape(title)}</h1>
{body}
<h2>Figures</h2>{images}
</body></html>
"""
