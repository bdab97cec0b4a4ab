"""The report page in a real browser: nothing overflows a 1,200-px page (slow: -m slow).

Needs Debian's `chromium` and `chromium-driver` (`make browser` installs them);
without them the test is skipped and says so.
"""

import shutil

import pytest

from .conftest import appraised_sweep

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM and DRIVER), reason="chromium and chromium-driver not installed"
    ),
]

# The right edge of every table and figure, against the page body's.
OVERFLOWING = """
const limit = document.body.getBoundingClientRect().right + 1;
return [...document.querySelectorAll('table, img')]
  .filter(e => e.getBoundingClientRect().right > limit)
  .map(e => e.tagName + ': ' + (e.previousElementSibling || {}).textContent);
"""


def test_no_table_or_figure_overflows_the_page(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    sweep = tmp_path / "sweep"
    appraised_sweep(sweep, 10)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    try:
        driver.get((sweep / "collected_report" / "report.html").as_uri())
        assert driver.find_element("tag name", "h2").text == "Executive summary"
        assert len(driver.find_elements("tag name", "table")) >= 5
        assert driver.execute_script(OVERFLOWING) == []
    finally:
        driver.quit()
