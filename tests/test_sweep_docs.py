"""The sweeps page documents every sweep module and says truly what a sweep refuses."""

from pathlib import Path

from experiments.config.limits import LARGE_SWEEP, MAX_SWEEP

ROOT = Path(__file__).parents[1]
PAGE = (ROOT / "docs" / "api" / "sweeps.md").read_text()


def test_every_sweep_module_has_its_api_reference():
    modules = sorted(p.stem for p in (ROOT / "experiments" / "sweep").glob("*.py"))
    missing = [
        m
        for m in modules
        if m != "__init__"
        and (
            f"(experiments.sweep.{m}.md)" not in PAGE  # listed on the sweeps page
            or f"::: experiments.sweep.{m}\n"
            not in (ROOT / "docs" / "api" / f"experiments.sweep.{m}.md").read_text()
        )
    ]
    assert missing == []


def test_the_refusals_section_gives_the_limits_the_code_applies():
    section = PAGE.split("## What is refused, and why", 1)[1].split(":::", 1)[0]
    assert f"{LARGE_SWEEP:,} jobs" in section
    assert "more than a million" in section and MAX_SWEEP == 1_000_000
    assert "exits 1" in section and "exit 130" in section
