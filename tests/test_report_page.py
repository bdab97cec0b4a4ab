"""The report page in a real browser, as a board member reads it (about 12 s: not slow).

At 1280 px: no `nan` anywhere in the text, no element wider than the page, no
table heading or cell broken inside a word, every glossary link leading to an
entry, the print stylesheet present, and the PDF written beside the HTML.

Needs Debian's `chromium` and `chromium-driver` (`make browser` installs them);
without them the test is skipped and says so.
"""

import contextlib
import re
import shutil

import pytest

from experiments.wording.glossary import TERMS

from .conftest import appraised_sweep

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER), reason="chromium and chromium-driver not installed"
)

# Every element whose right edge passes the page's (the window is 1280 px wide).
OVERFLOWING = """
const limit = document.documentElement.clientWidth + 1;
return [...document.body.querySelectorAll('*')]
  .filter(e => e.getBoundingClientRect().right > limit)
  .map(e => e.tagName + ': ' + e.textContent.slice(0, 60));
"""

# Every word of a table heading or cell laid out on more than one line. A word is a
# run of letters and digits: a break at a space, hyphen, underscore, slash or
# bracket is between words.
BROKEN_WORDS = """
const broken = [];
for (const cell of document.querySelectorAll('th, td')) {
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.textContent.matchAll(/[\\p{L}\\p{N}.,%']+/gu)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (lines.size > 1) broken.push(cell.tagName + ': ' + match[0]);
    }
  }
}
return broken;
"""

# Glossary links whose target is not on the page, and the terms no link points to.
LINKS = """
const targets = [...document.querySelectorAll('a.term')].map(a => a.getAttribute('href'));
return {
  dangling: targets.filter(t => !document.querySelector(t)),
  linked: [...new Set(targets)],
};
"""


@contextlib.contextmanager
def browser(width: int = 1280, height: int = 900):
    """Headless Chromium at the given window size, quit afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu"):
        options.add_argument(argument)
    options.add_argument(f"--window-size={width},{height}")
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def test_the_report_reads_cleanly_in_a_browser_and_prints(tmp_path):
    sweep = tmp_path / "sweep"
    appraised_sweep(sweep, 10)
    folder = sweep / "collected_report"
    assert (folder / "report.pdf").read_bytes()[:5] == b"%PDF-"  # printed beside the HTML
    source = (folder / "report.html").read_text()
    assert "@media print" in source
    with browser() as driver:
        driver.get((folder / "report.html").as_uri())
        assert driver.find_element("tag name", "h2").text == "Executive summary"
        text = driver.find_element("tag name", "body").text
        assert not re.search(r"\bnan\b", text, re.IGNORECASE), "nan shown on the page"
        assert not re.search(r"\d\.\d+e[+-]\d", text), "a number with an exponent"
        assert driver.execute_script(OVERFLOWING) == []
        assert driver.execute_script(BROKEN_WORDS) == []
        links = driver.execute_script(LINKS)
        assert links["dangling"] == []
        entries = driver.find_elements("css selector", "#glossary ~ dl.glossary dt")
        assert [e.text for e in entries] == [term for term, _ in TERMS.values()]
        # The terms the brief names are linked from the page, not only listed.
        for key in ("net", "bcr", "regret", "cvar", "evpi", "evppi", "prim", "views", "rmst"):
            assert f"#g-{key}" in links["linked"], key


def test_the_broken_word_check_can_fail(tmp_path):
    """A heading narrower than its word is caught (the check is not vacuous)."""
    page = tmp_path / "narrow.html"
    page.write_text(
        "<table><tr><th style='width:20px;max-width:20px;overflow-wrap:anywhere'>"
        "small_territories</th></tr></table>"
    )
    with browser() as driver:
        driver.get(page.as_uri())
        assert driver.execute_script(BROKEN_WORDS) != []
