"""The documentation site builds with warnings as errors (`make docs`)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_the_site_builds_strictly_with_the_api_reference(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    api = (tmp_path / "api" / "sweeps.html").read_text()
    assert "plan_sweep" in api  # rendered from the docstrings
    assert (tmp_path / "configuration.html").is_file()
    notebook = (tmp_path / "tutorials" / "python-api.html").read_text()
    assert "extra social value" in notebook  # the notebook was executed in the build
    index = (tmp_path / "index.html").read_text()
    assert 'href="getting-started.html"' in index  # links that work from file://, offline
