"""The explorer in a real browser: start it, change controls, compare with alliance-run.

Starts `alliance-explore` on a free port and drives Debian's headless Chromium
through Selenium and `chromium-driver`: it changes the strategy and checks that
the numbers and the figure change and equal, to the last bit, those of the
`alliance-run` line the page shows; downloads the data; saves two strategies side
by side; and types an invalid budget, which must show the validation message and
no traceback. `make test` installs Chromium where it can (`make browser`); without
it the test is skipped, except under CI (`CI=true`), where it fails.

`EXPLORER_SCREENSHOT=docs/images/explorer.png` also writes the README's screenshot.
"""

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
import xarray as xr

from experiments.explore import summaries
from experiments.explore.choice import Choice
from experiments.explore.compute import combine

from .conftest import BIN, cli

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
MISSING = not (CHROMIUM and DRIVER)

pytestmark = pytest.mark.skipif(
    MISSING and not os.environ.get("CI"),
    reason="chromium and chromium-driver not installed (make browser)",
)

WAIT = 90  # seconds for any one thing to appear


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "alliance-explore"), "--port", str(port), "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = process.stdout.readline()
    assert f"open http://localhost:{port} in a browser" in first, process.stderr.read()
    url = f"http://localhost:{port}"
    deadline = time.monotonic() + WAIT
    while True:
        try:
            urllib.request.urlopen(f"{url}/readyz", timeout=2)
            break
        except OSError:
            assert time.monotonic() < deadline, "the explorer did not answer"
            time.sleep(0.3)
    yield url
    process.terminate()
    _, errors = process.communicate(timeout=30)
    assert "Traceback" not in errors, errors


@pytest.fixture(scope="module")
def browser():
    assert not MISSING, "CI must run the browser test: install chromium (make browser)"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--window-size=1400,1000",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    yield driver
    driver.quit()


def wait(driver, condition, what: str):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(lambda d: condition(d), message=what)


def shown_numbers(driver) -> dict[str, float]:
    """The premium table's means, exactly (its cells' data-value attributes)."""
    cells = driver.find_elements("css selector", "table.premium-table td[data-key]")
    return {c.get_attribute("data-key"): float(c.get_attribute("data-value")) for c in cells}


def shown_intervals(driver) -> dict[str, str]:
    """The premium table's intervals, as printed ("" where a ratio has none)."""
    cells = driver.find_elements("css selector", "table.premium-table td[data-key]")
    return {
        c.get_attribute("data-key"): " ".join(s.text for s in c.find_elements("tag name", "small"))
        for c in cells
    }


def command(driver) -> str:
    return driver.find_element("css selector", ".command-line").text


def figure(driver) -> str:
    return driver.find_elements("css selector", "img")[0].get_attribute("src")


def choose(driver, select_class: str, option: str) -> None:
    """Pick an option of a Solara (Vuetify) select."""
    driver.find_element("css selector", f".{select_class}").click()
    items = wait(
        driver,
        lambda d: [
            i
            for i in d.find_elements("css selector", ".v-overlay-container .v-list-item")
            if i.text == option
        ],
        f"option {option}",
    )
    items[0].click()


def alliance_run_numbers(line: str, folder: Path) -> xr.Dataset:
    """Run the page's command line and combine its runs as the explorer does."""
    words = line.split()
    assert words[0] == "alliance-run"
    result = cli(*words, f"hydra.sweep.dir={folder}", cwd=folder.parent)
    assert result.returncode == 0, result.stderr
    runs = [xr.load_dataset(p) for p in folder.glob("**/dataset.nc")]
    runs.sort(key=lambda d: int(d.attrs["seed"]))
    return combine(runs, Choice(n_seeds=len(runs)))


def test_change_a_strategy_and_get_alliance_runs_numbers(server, browser, tmp_path):
    browser.get(server)
    wait(browser, lambda d: shown_numbers(d), "the first result")
    before, before_figure = shown_numbers(browser), figure(browser)
    assert command(browser) == "alliance-run -m seed=0,1,2,3,4"

    choose(browser, "strategy-select", "concentrated")
    wait(browser, lambda d: "fund/strategy=concentrated" in command(d), "the new result")
    after = shown_numbers(browser)
    assert after != before and figure(browser) != before_figure
    assert set(after) == {f"{r}-{v}" for r in summaries.RATIOS for v in summaries.VIEW_NAMES}

    # The page's command line gives the page's numbers, to the last bit.
    line = command(browser)
    assert line == "alliance-run -m seed=0,1,2,3,4 fund/strategy=concentrated"
    expected = summaries.premium_table(alliance_run_numbers(line, tmp_path / "sweep"))
    intervals = shown_intervals(browser)
    for row in expected.itertuples():
        key = f"{row.ratio}-{row.view}"
        if row.mean != row.mean:  # no comparison group in any seed: n/a on both sides
            assert after[key] != after[key] and intervals[key] == ""
        else:
            assert after[key] == row.mean, key
            assert intervals[key] == f"[{row.low:,.2f}, {row.high:,.2f}]", key

    # The download holds those runs.
    link = browser.find_element("css selector", "a.download-link").get_attribute("href")
    data = tmp_path / "download.nc"
    data.write_bytes(urllib.request.urlopen(link, timeout=WAIT).read())
    with xr.open_dataset(data) as downloaded:
        assert downloaded.attrs["explorer_command"] == line
        assert list(downloaded.seed.values) == [0, 1, 2, 3, 4]
        leverage = downloaded.premium_leverage.sel(view="causal", measure="value").mean("seed")
        assert float(leverage) == after["leverage-causal"]

    screenshot = os.environ.get("EXPLORER_SCREENSHOT")
    if screenshot:
        browser.save_screenshot(screenshot)


def test_two_saved_strategies_side_by_side_and_downloaded_together(server, browser, tmp_path):
    browser.get(server)
    wait(browser, lambda d: shown_numbers(d), "the first result")
    browser.find_element("css selector", ".save-button").click()
    choose(browser, "strategy-select", "small_territories")
    wait(browser, lambda d: "small_territories" in command(d), "the second result")
    browser.find_element("css selector", ".save-button").click()
    header = wait(
        browser,
        lambda d: (
            [
                h.text
                for h in d.find_elements("css selector", ".comparison-table tr:first-child th")
            ][1:]
            if len(d.find_elements("css selector", ".comparison-table tr:first-child th")) == 4
            else None
        ),
        "two saved strategies and the current one",
    )
    assert header[0] == "uniform" and header[1] == "small_territories"
    assert header[2].startswith("now: small_territories")
    # What they saw, in one file: the saved strategies and the current one.
    link = browser.find_element("css selector", "a.download-comparison").get_attribute("href")
    data = tmp_path / "comparison.nc"
    data.write_bytes(urllib.request.urlopen(link, timeout=WAIT).read())
    with xr.open_dataset(data) as together:
        assert list(together.arm.values) == [
            "uniform",
            "small_territories",
            "now: small_territories",
        ]
        assert together.premium_leverage.sizes["seed"] == 5


def test_an_invalid_budget_shows_the_validation_message(server, browser):
    from selenium.webdriver.common.keys import Keys

    browser.get(server)
    wait(browser, lambda d: shown_numbers(d), "the first result")
    field = browser.find_element("css selector", ".budget-input input")
    field.click()
    for key in "20000000000":  # as a person types: each key reaches the server
        field.send_keys(key)
        time.sleep(0.05)
    time.sleep(0.5)
    field.send_keys(Keys.ENTER)
    message = wait(
        browser,
        lambda d: [e.text for e in d.find_elements("css selector", ".config-error")],
        "the validation message",
    )[0]
    assert message == (
        "Invalid choice: fund.budget_eur = 20000000000.0; "
        "allowed: a finite number in [0, 1e+10] EUR"
    )
    assert "Traceback" not in browser.find_element("tag name", "body").text
