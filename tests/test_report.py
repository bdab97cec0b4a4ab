"""`alliance-report` on what a user may give it: a sweep, one run, one arm, a folder, junk."""

import base64
import re

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from .conftest import SMALL_OVERRIDES, appraised_sweep, cli, small_sweep


def report(path, cwd):
    return cli("alliance-report", str(path), cwd=cwd)


def test_a_single_run_gets_a_report_that_says_one_seed_gives_no_interval(tmp_path):
    run = cli("alliance-run", *SMALL_OVERRIDES, f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    for given in (tmp_path / "run" / "dataset.nc", tmp_path / "run"):  # the file or its folder
        result = report(given, tmp_path)
        assert result.returncode == 0, result.stderr
    page = (tmp_path / "run" / "dataset_report" / "report.html").read_text()
    assert "With one seed there is no range" in page and "nan" not in page.split("<h2>")[0]
    assert "nothing to compare" in page
    summary = page[page.index("Executive summary") : page.index("What each strategy buys")]
    # The net figure first, in words; the gross one second, named as gross.
    net = summary.index("net social benefit</a> is")
    assert net < summary.index("Gross</a>, counting the fund's money alone")
    assert "after counting every extra euro used" in summary


def test_a_one_arm_sweep_gets_a_report_without_comparison(tmp_path):
    sweep = tmp_path / "sweep"
    assert small_sweep(sweep, "seed=1,2").returncode == 0
    result = report(sweep, tmp_path)
    assert result.returncode == 2 and "alliance-collect" in result.stderr  # a missing input
    assert len(result.stderr.strip().splitlines()) == 1
    assert cli("alliance-collect", str(sweep), cwd=tmp_path).returncode == 0
    result = report(sweep, tmp_path)
    assert result.returncode == 0, result.stderr
    page = (sweep / "collected_report" / "report.html").read_text()
    assert "5-95 % range over the states</a>" in page and "nothing to compare" in page
    # The confidence interval of the mean is the annex's, named there and nowhere above.
    annex = page.index("Technical annex: precision of the averages")
    assert page.index("95 % confidence interval of the mean</a>") > annex


def test_unreadable_or_foreign_files_give_one_line_and_leave_nothing(tmp_path):
    (tmp_path / "junk.nc").write_text("not a NetCDF file")
    xr.Dataset({"x": ("t", np.arange(3.0))}).to_netcdf(tmp_path / "foreign.nc", engine="netcdf4")
    for name, expected, status in [
        ("junk.nc", "cannot read", 1),
        ("foreign.nc", "not an alliance-run dataset", 1),
        ("missing.nc", "no such file", 2),  # a missing input is refused, as bad input is
    ]:
        result = report(tmp_path / name, tmp_path)
        assert result.returncode == status, name
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert expected in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign.nc", "junk.nc"]


def test_a_missing_input_is_refused_in_one_line_with_what_is_allowed(tmp_path):
    result = report(tmp_path / "collected.nc", tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        f"alliance-report: no such file: {tmp_path / 'collected.nc'}; allowed: a merged sweep "
        "(collected.nc), a run's dataset.nc, or a folder holding one\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_posterior_sweep_gets_the_full_appraisal(tmp_path):
    sweep = tmp_path / "sweep"
    result = appraised_sweep(sweep, 12, "--threshold", "2.0")
    assert "24 jobs, 2 configuration(s) composed" in result.stderr  # draws are not composed
    folder = sweep / "collected_report"
    robustness = pd.read_csv(folder / "robustness.csv")
    assert set(robustness.arm) == {"uniform", "concentrated"}
    assert robustness.probability_best.sum() == pytest.approx(1.0)
    assert (robustness.states == 12).all()
    voi = pd.read_csv(folder / "voi.csv")
    assert voi.parameter.iloc[0] == "all parameters (EVPI)" and (voi.value_eur >= 0).all()
    assert len(voi) > 5  # one row per uncertain parameter of the posterior draws
    switching = pd.read_csv(folder / "switching_values.csv")
    assert switching.parameter.str.startswith("model.").all()
    # Against every other arm: per parameter, the best of the others, then each arm.
    other = ({"uniform", "concentrated"} - {robustness.arm[0]}).pop()
    assert list(switching.other[:2]) == ["any other arm", other]
    value_map = pd.read_csv(folder / "value_map.csv")
    quantities = {"npv_eur", "gross_npv_eur", "benefit_cost_ratio", "value_per_fund_eur"}
    assert quantities | {"extra_private_resources_eur", "payback_year"} <= set(value_map.quantity)
    page = (folder / "report.html").read_text()
    assert page.index("Executive summary") < page.index("What each strategy buys")
    assert "is the robust choice" in page and "Which measurement would settle the choice" in page
    # The conditions in one sentence: "Fund X if ...; otherwise Y." or none turns it.
    summary = page[page.index("Executive summary") : page.index("What each strategy buys")]
    assert re.search(
        r"In one sentence:</b> Fund \w+( if .+; otherwise \w+|: no parameter)", summary
    )
    assert "regret</a>" in page and "(MEUR)" in page
    # Parameters in words with units, never as configuration keys or exponents.
    tables = page[page.index('id="conditions"') : page.index('id="time"')]
    assert not re.search(r"model\.[a-z]+\.", tables), "a configuration key on the page"
    assert "e+0" not in tables and "rank_correlation" not in tables
    # 12 draws are too few for a value of information per parameter: the page says so.
    assert "(EVPPI) is not reliable with 12 parameter draws" in page
    assert "draws are needed" in page
    assert (folder / "report.pdf").read_bytes()[:5] == b"%PDF-"
    # A budget map from a separate budget sweep puts the budget into the conditions.
    best, other = robustness.arm[0], ({"uniform", "concentrated"} - {robustness.arm[0]}).pop()
    budgets = [1e6, 2e6, 4e6, 8e6]
    rows = [
        {
            "budget_eur": b,
            "parameter": "",
            "level": "all",
            "arm": arm,
            "states": 8,
            "net_benefit_eur": b if arm == other else 2000 * b**0.5,
            "probability_best": 0.5,
            "value_per_budget_eur": 5.0,
            "paid_share": 1.0,
        }
        for b in budgets
        for arm in (best, other)
    ]
    pd.DataFrame(rows).to_csv(sweep / "map.csv", index=False)
    given = cli(
        "alliance-report",
        str(sweep),
        "--budget-map",
        "map.csv",
        "--output",
        "mapped",
        "--no-pdf",
        cwd=sweep,
    )
    assert given.returncode == 0, given.stderr
    page = (sweep / "mapped" / "report.html").read_text()
    summary = page[page.index("Executive summary") : page.index("What each strategy buys")]
    assert f"In one sentence:</b> Fund {best} if the budget is below " in summary
    assert "Budget map</h3>" in page and (sweep / "mapped" / "budget_map.csv").exists()
    (sweep / "junk.csv").write_text("a,b\n1,2\n")
    refused = cli("alliance-report", str(sweep), "--budget-map", "junk.csv", cwd=sweep)
    assert refused.returncode == 2 and "is not a budget map" in refused.stderr
    # The choice is made on the net social benefit: robustness.csv's expected net benefit
    # is the value map's mean NPV, not its gross NPV.
    means = value_map.set_index(["arm", "quantity"])["mean"]
    for row in robustness.itertuples():
        assert row.expected_net_benefit_eur == pytest.approx(means[row.arm, "npv_eur"])
        assert row.expected_net_benefit_eur < means[row.arm, "gross_npv_eur"]
    summary = pd.read_csv(folder / "summary.csv")
    assert summary.net_social_benefit_meur.is_monotonic_decreasing  # ranked by the net figure


def test_a_budget_sweep_compares_arms_at_equal_budget(tmp_path):
    sweep = tmp_path / "sweep"
    result = small_sweep(
        sweep, "fund/strategy=uniform,concentrated", "fund.budget_eur=3e5,1e6", "seed=0,1"
    )
    assert result.returncode == 0, result.stderr
    assert cli("alliance-collect", str(sweep), cwd=tmp_path).returncode == 0
    assert cli("alliance-report", str(sweep), cwd=tmp_path).returncode == 0
    folder = sweep / "collected_report"
    page = (folder / "report.html").read_text()
    summary = page[page.index("Executive summary") : page.index("What each strategy buys")]
    assert "compared at equal budget" in summary and "at 0.3 MEUR" in summary
    assert "The arm that creates the most social value" not in summary
    marginal = pd.read_csv(folder / "marginal_value.csv")
    assert set(marginal.arm) == {"uniform", "concentrated"}
    assert (marginal.from_budget_eur == 3e5).all() and (marginal.to_budget_eur == 1e6).all()
    assert (folder / "budget_response.csv").exists() and (folder / "time_series.csv").exists()
    # The budget map: the best strategy per budget, its sentence first in the summary.
    assert re.search(r'class="answer"><b>Fund (uniform|concentrated)', summary)
    cells = pd.read_csv(folder / "budget_map.csv")
    assert set(cells.budget_eur) == {3e5, 1e6} and set(cells.arm) == {"uniform", "concentrated"}
    assert "Budget map</h3>" in page


def _refused(capsys, *argv):
    from experiments.reports.report import main

    with pytest.raises(SystemExit) as stopped:
        main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert stopped.value.code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


def test_output_is_refused_unless_new_empty_or_an_earlier_report(tmp_path, capsys, monkeypatch):
    """Issue 26 E5: --output never deletes files a report did not write."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "junk.nc").write_text("not read: the output is refused first")
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "thesis.tex").write_text("three years of work")
    err = _refused(capsys, "junk.nc", "--output", "victim")
    assert "holds files that are not a report's" in err and "an earlier report's" in err
    assert (victim / "thesis.tex").read_text() == "three years of work"
    # A report's files and something else: refused too.
    (victim / "report.html").write_text("<html></html>")
    assert "not a report's" in _refused(capsys, "junk.nc", "--output", "victim")
    # The parent of the working folder, the working folder itself.
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for given in ("..", "."):
        (work / "keep.txt").write_text("kept")
        _refused(capsys, tmp_path / "junk.nc", "--output", given)
        assert (work / "keep.txt").exists() and (victim / "thesis.tex").exists()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text("readme")
    assert "is a file" in _refused(capsys, "junk.nc", "--output", "README.md")
    assert (tmp_path / "README.md").read_text() == "readme"
    (tmp_path / "link").symlink_to(victim)
    assert "symbolic link" in _refused(capsys, "junk.nc", "--output", "link")
    assert "cannot write" in _refused(capsys, "junk.nc", "--output", "/proc/x")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "README.md",
        "junk.nc",
        "link",
        "victim",
        "work",
    ]


def test_an_earlier_report_and_an_empty_folder_may_be_replaced(tmp_path):
    from experiments.reports.report import is_report
    from experiments.storage.files import folder_written_atomically

    report = tmp_path / "report"
    report.mkdir()
    with folder_written_atomically(report, is_report, "report") as temporary:
        (temporary / "report.html").write_text("first")
    (report / "summary.csv").write_text("a\n")
    assert is_report(report)
    with folder_written_atomically(report, is_report, "report") as temporary:
        (temporary / "report.html").write_text("second")
    assert [p.name for p in report.iterdir()] == ["report.html"]
    assert (report / "report.html").read_text() == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]  # no temporary left


@pytest.mark.parametrize("threshold", ["nan", "inf", "-inf", "x"])
def test_a_non_finite_threshold_is_refused_in_one_line(tmp_path, capsys, threshold):
    (tmp_path / "junk.nc").write_text("not read")
    err = _refused(capsys, tmp_path / "junk.nc", f"--threshold={threshold}")
    assert "allowed: a finite number" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.nc"]


def test_the_summary_figure_draws_a_mean_outside_its_range():
    """A skewed metric's mean can lie above its 95th percentile: the figure still draws.

    A benefit-cost ratio whose denominator nears 0 in one state of forty (a strategy
    that saves private resources) put the mean above the 5-95 % range, and matplotlib
    refused the negative error bar the figure drew the range with.
    """
    from experiments.reports.report import NET, figure_summary

    ratio = np.r_[np.full(39, 2.0), 500.0]  # mean 14.5, 95th percentile 2
    assert ratio.mean() > np.percentile(ratio, 95)
    frame = pd.DataFrame(
        {
            "arm": ["skewed"] * 40 + ["plain"] * 40,
            NET: np.linspace(1.0, 3.0, 80),
            "benefit_cost_ratio": np.r_[ratio, np.linspace(1.5, 2.5, 40)],
            "causal_leverage": np.r_[np.full(40, np.nan), np.linspace(5.0, 9.0, 40)],
        }
    )
    picture = figure_summary(frame, ["skewed", "plain"], "40 states")
    assert base64.b64decode(picture).startswith(b"\x89PNG")


def test_the_summary_figure_draws_a_ratio_as_the_tables_give_it():
    """Its bar is the value map's pooled ratio, not the mean of the states' ratios."""
    from experiments.reports.report import bar_centres

    ratios = [pd.Series([2.0, 2.0, 100.0])]  # mean 34.7; the pooled ratio says 3
    value_map = pd.DataFrame({"arm": ["a"], "quantity": ["benefit_cost_ratio"], "mean": [3.0]})
    assert bar_centres(ratios, ["a"], "benefit_cost_ratio", value_map) == [3.0]
    assert bar_centres(ratios, ["a"], "benefit_cost_ratio", None)[0] == pytest.approx(104 / 3)
    net = [pd.Series([1.0, 3.0])]  # not a ratio: the mean, whatever the map
    assert bar_centres(net, ["a"], "net_social_benefit_meur", value_map) == [2.0]
