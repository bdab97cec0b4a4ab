"""What the explorer shows: its tables, series and HTML, from the seeds' dataset."""

import dataclasses
import re

import numpy as np
import pytest
import xarray as xr

from experiments.explore import shown, summaries
from experiments.explore.choice import Choice
from experiments.explore.compute import combine, seed_configs
from simulation import run

CHOICE = Choice(n_seeds=3)


@pytest.fixture(scope="module")
def dataset() -> xr.Dataset:
    return combine([run(config) for config in seed_configs(CHOICE)], CHOICE)


def test_the_premium_table_is_the_mean_and_quantiles_over_seeds(dataset):
    table = summaries.premium_table(dataset)
    assert len(table) == 12  # 3 ratios x 4 views
    row = table[(table.ratio == "leverage") & (table.view == "causal")].iloc[0]
    values = dataset.premium_leverage.sel(view="causal", measure="value").values
    assert row["mean"] == pytest.approx(values.mean(), rel=1e-15)
    assert row["low"] == pytest.approx(np.quantile(values, 0.05))
    assert row["low"] <= row["mean"] <= row["high"]


def test_one_seed_has_a_point_interval(dataset):
    one = summaries.band(dataset.premium_frugality.isel(seed=[0]))
    xr.testing.assert_equal(one["low"], one["mean"])
    xr.testing.assert_equal(one["high"], one["mean"])


def test_extra_value_is_treated_minus_the_no_fund_world(dataset):
    series = summaries.value_over_time(dataset)
    value = dataset.value_created.sum("territory")
    extra = value.sel(world="treated") - value.sel(world="counterfactual")
    np.testing.assert_allclose(series["extra_mean"], extra.mean("seed"))
    assert series["extra_mean"].attrs["units"] == "EUR per step"


def test_size_classes_are_grouped_within_each_seeds_world(dataset):
    engineering = summaries.by_size(dataset, "engineering_capacity")
    assert list(engineering.size_class.values) == ["small", "medium", "large"]
    first = dataset.isel(seed=0)
    small = first.engineering_capacity.where(first.size_class == "small").mean("territory")
    seeds = [
        dataset.isel(seed=i).engineering_capacity.where(dataset.isel(seed=i).size_class == "small")
        for i in range(3)
    ]
    expected = xr.concat([s.mean("territory") for s in seeds], "seed").mean("seed")
    np.testing.assert_allclose(engineering["mean"].sel(size_class="small"), expected)
    assert small.sizes == {"world": 2, "time": 40}


def test_the_territory_grid_shows_the_first_seeds_world(dataset):
    capacity = summaries.territory_map(dataset, "engineering_capacity")
    expected = dataset.engineering_capacity.isel(seed=0, time=-1).sel(world="treated")
    np.testing.assert_array_equal(capacity.values, expected.values)
    extra = summaries.territory_map(dataset, "extra_value")
    pv = dataset.value_created_pv.isel(seed=0)
    total = float(pv.sel(world="treated") - pv.sel(world="counterfactual"))
    assert float(extra.sum()) == pytest.approx(total, rel=1e-9)
    with pytest.raises(ValueError, match="allowed: 'engineering_capacity', 'extra_value'"):
        summaries.territory_map(dataset, "trust")


def test_the_html_carries_every_shown_number_exactly(dataset):
    result = shown.prepare(dataset, CHOICE, interactive=False)  # PNG figures too
    page = shown.premium_html(result.premium, CHOICE.n_seeds)
    cell = re.search(r'data-key="leverage-causal" data-value="([^"]+)"', page)
    mean = dataset.premium_leverage.sel(view="causal", measure="value").mean("seed")
    assert float(cell.group(1)) == float(mean)
    assert "mean over 3 seeds" in page
    assert "RMST (restricted mean survival time" in page  # the durability heading's help
    assert set(result.images) == {
        "value",
        "size",
        "territories_engineering_capacity",
        "territories_extra_value",
    }
    assert all(image.startswith(b"\x89PNG") for image in result.images.values())
    assert set(result.plots) == set(result.images)
    interactive = shown.prepare(dataset, CHOICE, lambda drawings: pytest.fail("drawn"), True)
    assert interactive.images == {} and set(interactive.plots) == set(result.images)


def test_the_headline_block_carries_the_appraisals_net_figure_exactly(dataset):
    from experiments.appraisal import states
    from experiments.explore import decision

    result = shown.prepare(dataset, CHOICE)
    versus = decision.versus(result.outcomes, None)
    page = shown.headline_html(result, versus)
    first = dataset.attrs["config_json_per_seed"].splitlines()[0]
    net = states.outcomes(dataset.assign_attrs(config_json=first)).net_social_benefit_eur
    cell = re.search(r'data-key="net_social_benefit_eur" data-value="([^"]+)"', page)
    assert float(cell.group(1)) == float(net.mean()) * 1e-6  # MEUR, as scaled for the page
    assert "mean over 3 seeds [5-95 % range over the seeds]" in page
    assert f"positive in {versus.wins} of 3 seeds" in page
    assert "not yet a basis for a choice: run at least 5" in page  # 3 seeds only


def test_strategies_side_by_side_name_the_shown_one_and_compare_seed_by_seed(dataset):
    from experiments.explore import decision

    result = shown.prepare(dataset, CHOICE)
    better = result.outcomes.assign(extra_value_eur=result.outcomes.extra_value_eur + 1e6)
    columns = [
        shown.Column("better", result.headline, decision.versus(better, result.outcomes), False),
        shown.Column("uniform", result.headline, None, True),
    ]
    table = shown.comparison_html(columns, 3)
    assert table.count("<tr>") == 1 + len(decision.HEADLINE) + 2
    assert "(shown now)" in table and "the reference" in table
    difference = re.search(r'data-key="difference-0" data-value="([^"]+)"', table).group(1)
    assert float(difference) == pytest.approx(1.0, rel=1e-9)  # MEUR
    assert 'data-key="better-0" data-value="1.0"' in table


def test_a_ratio_missing_in_every_seed_stays_missing_without_a_warning():
    values = xr.DataArray([[np.nan, 1.0], [np.nan, 3.0]], dims=("seed", "view"))
    summary = summaries.band(values)  # warnings are errors in this suite
    assert np.isnan(summary["mean"][0]) and np.isnan(summary["low"][0])
    assert float(summary["mean"][1]) == 2.0


def test_saved_strategies_are_compared_along_an_arm_dimension(dataset):
    from experiments.explore.compute import compare

    other = CHOICE.with_changes(strategy="none")
    together = compare([("uniform", CHOICE, dataset), ("none", other, dataset)])
    assert list(together.arm.values) == ["uniform", "none"]
    picked = together.premium_leverage.sel(arm="none", drop=True)
    xr.testing.assert_equal(picked, dataset.premium_leverage)
    assert together.attrs["explorer_command"].splitlines()[1] == f"none: {other.command()}"
    with pytest.raises(ValueError, match="same seeds and the same world"):
        compare([("a", CHOICE, dataset), ("b", CHOICE.with_changes(n_seeds=2), dataset)])


def test_a_fund_that_pays_nothing_is_said_so(dataset):
    from experiments.explore import decision

    result = shown.prepare(dataset, CHOICE, interactive=True)
    nothing = result.outcomes * 0.0
    idle = dataclasses.replace(result, outcomes=nothing, headline=decision.headline(nothing))
    text = shown.answer_html(idle, decision.versus(nothing, None))
    assert "the fund pays nothing: its net social benefit is 0.00 MEUR" in text
    assert "more social value" not in text
    assert "more social value" in shown.answer_html(result, decision.versus(result.outcomes, None))


@pytest.mark.parametrize(
    "variable", ["premium_leverage", "premium_frugality", "value_created", "engineering_capacity"]
)
def test_the_band_equals_numpy_slice_by_slice_to_the_last_bit(dataset, variable):
    # `band` takes numpy's whole-array quantile where no NaN is left; it must give
    # what the NaN-skipping quantile gives one slice at a time, bit for bit.
    values = dataset[variable]
    with_a_gap = values.where(values.seed != values.seed[0])  # a NaN in every slice
    for data in (values, with_a_gap):
        summary = summaries.band(data)
        moved = data.transpose(..., "seed").values
        for stat, q in (("low", 0.05), ("high", 0.95)):
            expected = np.apply_along_axis(lambda s, q=q: np.nanquantile(s, q), -1, moved)
            got = summary[stat].transpose(*data.dims[1:]).values
            np.testing.assert_array_equal(got, expected)


def _band_with_xarray(values: xr.DataArray, dim: str = "seed") -> xr.Dataset:
    """The band as xarray's own reductions give it (what `band` replaced)."""
    some = values.notnull().any(dim)
    filled = values.where(some, 0.0)
    quantiles = filled.quantile([0.05, 0.95], dim, skipna=bool(filled.isnull().any()))
    summary = xr.Dataset(
        {
            "mean": filled.mean(dim, skipna=True),
            "low": quantiles.isel(quantile=0, drop=True),
            "high": quantiles.isel(quantile=1, drop=True),
        }
    )
    return summary.where(some)


@pytest.mark.parametrize("gap", [False, True])
def test_the_band_is_xarrays_own_mean_and_quantiles_bit_for_bit(dataset, gap):
    checked = 0
    for name, values in dataset.data_vars.items():
        if "seed" not in values.dims or values.dtype.kind not in "fi":
            continue
        if gap:  # a NaN in every slice, and a slice that is NaN in every seed
            values = values.where(values.seed != values.seed[0])
            if values.ndim > 1:
                values[{d: 0 for d in values.dims if d != "seed"}] = np.nan
        got = summaries.band(values)
        expected = _band_with_xarray(values).assign_attrs(got.attrs)
        for stat in ("mean", "low", "high"):
            expected[stat].attrs = values.attrs
        try:
            xr.testing.assert_identical(got, expected)
        except AssertionError as error:
            msg = f"{name}: {error}"
            raise AssertionError(msg) from None
        checked += 1
    assert checked >= 10
