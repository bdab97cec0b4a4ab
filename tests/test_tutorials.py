"""The tutorial notebook runs: executed cell by cell in a fresh Jupyter kernel."""

from pathlib import Path

import nbformat
from nbclient import NotebookClient

TUTORIALS = Path(__file__).parents[1] / "docs" / "tutorials"


def test_the_python_api_notebook_runs_from_top_to_bottom(monkeypatch):
    notebook = nbformat.read(TUTORIALS / "python-api.ipynb", as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert len(code) >= 4 and not any(cell.outputs for cell in code), "commit it without outputs"
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")  # silences jupyter_core's path warning
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": TUTORIALS}}
    ).execute()  # raises CellExecutionError, with the cell and its traceback, on any error
    printed = "".join(
        output.get("text", "")
        for cell in code
        for output in cell.outputs
        if output.output_type == "stream"
    )
    assert "extra social value" in printed and "net present value" in printed
