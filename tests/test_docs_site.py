"""The documentation site builds with warnings as errors (`make docs`) and works offline.

One build (about 10 s) serves every check: the API reference has one page per
module, every script and stylesheet is part of the site (no CDN), code is
highlighted at build time, the search index is a local script that holds the
configuration keys, and, in headless Chromium from file:// at 1280 x 900, a
search for `budget_eur` finds the configuration reference and its table needs no
sideways scroll. Without Chromium the browser check is skipped, except under CI.
"""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[1]
CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr
    return out


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_the_site_builds_strictly_with_the_api_reference(site):
    api = (site / "api" / "experiments.sweep.plan.html").read_text()
    assert "plan_sweep" in api  # rendered from the docstrings
    assert (site / "configuration.html").is_file()
    notebook = (site / "tutorials" / "python-api.html").read_text()
    assert "extra social value" in notebook  # the notebook was executed in the build
    index = (site / "index.html").read_text()
    assert 'href="getting-started.html"' in index  # links that work from file://, offline


def _nav_pages(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [page for value in node.values() for page in _nav_pages(value)]
    return [page for item in node for page in _nav_pages(item)]


def test_the_api_reference_has_one_page_per_module_each_module_once():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    api = [page for page in _nav_pages(config["nav"]) if page.startswith("api/")]
    modules = []
    for page in api:
        text = (ROOT / "docs" / page).read_text()
        found = re.findall(r"^::: ([\w.]+)$", text, flags=re.MULTILINE)
        assert len(found) <= 1, f"{page} documents {found}: one module a page"
        if found:
            assert page == f"api/{found[0]}.md"
            modules += found
    assert len(modules) == len(set(modules)) >= 20
    assert {p.name for p in (ROOT / "docs" / "api").glob("*.md")} == {Path(p).name for p in api}


def test_run_and_config_error_are_each_in_one_table_of_contents(site):
    def entries(name: str, page: str) -> int:
        html = (site / "api" / page).read_text()
        # The right-hand table of contents (the left one holds a copy for small screens).
        toc = html.rsplit('aria-label="Table of contents"', 1)[1].split('class="md-content"')[0]
        return len(re.findall(rf'href="#[\w.]*\.{name}"', toc))

    assert entries("run", "simulation.run.html") == 1
    assert entries("ConfigError", "simulation.bounds.html") == 1
    assert entries("ConfigError", "simulation.config.html") == 0


def test_every_script_and_stylesheet_is_local(site):
    remote = re.compile(r"""<(?:script|link)\b[^>]*\b(?:src|href)=["'](?:https?:)?//""")
    offenders = [
        str(page.relative_to(site)) for page in pages(site) if remote.search(page.read_text())
    ]
    assert offenders == []
    text = "".join(page.read_text() for page in pages(site))
    assert "highlight.js" not in text and "highlightjs" not in text
    assert "fonts.googleapis.com" not in text
    assert (site / "javascripts" / "iframe-worker.js").is_file()  # search from file://


def test_code_is_highlighted_at_build_time(site):
    page = (site / "getting-started.html").read_text()
    assert '<div class="highlight">' in page
    assert re.search(r'<span class="(?:kn|nn|s2|n)">', page)  # Pygments' token classes


def test_the_search_index_is_local_and_finds_configuration_keys(site):
    script = (site / "search" / "search_index.js").read_text()
    assert script.startswith("var __index = ")  # read by a <script> tag from file://
    assert "fund.budget_eur" in script and "model.production.frugality_gain" in script


@pytest.mark.skipif(
    not (CHROMIUM and DRIVER) and not os.environ.get("CI"),
    reason="chromium and chromium-driver not installed (make browser)",
)
def test_search_and_the_configuration_reference_work_from_file_in_chromium(site):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    try:
        driver.set_window_size(1280, 900)
        driver.get((site / "index.html").as_uri())
        box = driver.find_element(By.CSS_SELECTOR, "input.md-search__input")
        box.click()
        box.send_keys("budget_eur")
        deadline = time.monotonic() + 60
        titles: list[str] = []
        while not titles and time.monotonic() < deadline:
            time.sleep(0.3)
            titles = [
                item.text
                for item in driver.find_elements(By.CSS_SELECTOR, ".md-search-result__item h1")
            ]
        assert "Configuration reference" in titles, titles

        driver.get((site / "configuration.html").as_uri())
        sideways = driver.execute_script(
            "const e = document.documentElement;"
            "const wide = Array.from(document.querySelectorAll('.md-typeset__table'))"
            "  .filter(t => t.scrollWidth > t.clientWidth + 1).length;"
            "return [e.scrollWidth - e.clientWidth, wide];"
        )
        assert sideways == [0, 0]
        narrowest = driver.execute_script(
            "return Math.min(...Array.from(document.querySelectorAll('td:last-child'))"
            "  .map(c => c.getBoundingClientRect().width));"
        )
        assert narrowest > 300  # the meaning reads as lines, not a word a line
    finally:
        driver.quit()
