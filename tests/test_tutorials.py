"""The tutorials' Python code runs: every ```python block of a page, in order, in one namespace."""

import re
from pathlib import Path

import pytest

TUTORIALS = Path(__file__).parents[1] / "docs" / "tutorials"
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


@pytest.mark.parametrize("page", ["python-api.md"])
def test_every_code_block_of_the_tutorial_runs(page, capsys):
    blocks = BLOCK.findall((TUTORIALS / page).read_text())
    assert len(blocks) >= 3
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, page, "exec"), namespace)  # our own documentation
    assert "extra social value" in capsys.readouterr().out
