"""The budget map: the best arm by budget and parameter, on synthetic sweeps with known answers."""

import json

import numpy as np
import pytest
import xarray as xr

from experiments.appraisal.budget_map import (
    budget_map,
    budget_outcomes,
    budget_table,
    switches,
)
from experiments.reports.report_text import budget_conditions, condition_sentence

BUDGETS = [750e3, 1.4e6, 2.5e6, 4.5e6, 8.2e6, 15e6]
KEY = "model.engineering.grant_half_saturation_eur_per_organisation"


def sweep(values, dims: dict[str, list], budget_axis: int = 0, seeds: int = 6) -> xr.Dataset:
    """A merged sweep whose extra value (EUR) per cell is `values(budget, strategy, *rest)`.

    Nothing is paid or used privately and the world without the fund creates nothing,
    so the net social benefit is the extra value; each seed adds a little noise.
    """
    coords = {**dims, "seed": np.arange(seeds)}
    shape = [len(v) for v in coords.values()]
    grids = np.meshgrid(*coords.values(), indexing="ij")
    rng = np.random.default_rng(0)
    extra = values(*grids[:-1]) + 1e4 * rng.normal(size=shape)
    names = list(coords)
    world = xr.DataArray(["treated", "counterfactual"], dims="world")
    treated = xr.DataArray(extra, dims=names, coords=coords)
    created = xr.concat([treated, xr.zeros_like(treated)], dim=world)
    zero = xr.zeros_like(created)
    dataset = xr.Dataset(
        {
            "value_created_pv": created,
            "fund_invested_pv": zero,
            "private_resources_pv": zero,
            "fund_budget": xr.DataArray(grids[budget_axis], dims=names, coords=coords),
            "budget_paid_share": xr.DataArray(np.ones(shape), dims=names, coords=coords),
        }
    ).assign_coords(world=["treated", "counterfactual"], **coords)
    dataset["budget_eur"].attrs["description"] = "Swept override fund.budget_eur"
    return dataset


def concave_against_linear(budget, strategy, *rest):
    """A saturates (2,000 sqrt(budget)), B is linear: B overtakes A at 4 MEUR."""
    return np.where(strategy == "A", 2000.0 * np.sqrt(budget), budget)


def test_the_budget_map_finds_where_a_saturating_arm_is_overtaken():
    dataset = sweep(concave_against_linear, {"budget_eur": BUDGETS, "strategy": ["A", "B"]})
    outcomes = budget_outcomes(dataset)
    cells = budget_map(outcomes).set_index("budget_eur")
    assert list(cells["best"]) == ["A", "A", "A", "B", "B", "B"]
    assert cells.loc[750e3, "probability_best"] == 1.0
    found = switches(outcomes)
    assert len(found) == 1 and (found.iloc[0]["below"], found.iloc[0]["above"]) == ("A", "B")
    assert found.iloc[0]["switch_value"] == pytest.approx(4e6, rel=0.1)  # log interpolation
    arm, along_budget, along_level = budget_conditions(outcomes)
    assert arm == "A" and along_level is None
    sentence = condition_sentence(arm, along_budget)
    assert sentence.startswith("Fund A if the budget is below 3.") and "otherwise B." in sentence
    assert budget_table(outcomes).index[0] == "0.75 MEUR"
    with pytest.raises(ValueError, match="no budget_eur dimension"):
        budget_outcomes(dataset.isel(budget_eur=0, drop=True))


def with_half_saturation(budget, strategy, half):
    """Below a half-saturation of about 150, C beats A at small budgets; B wins large ones."""
    a = 2000.0 * np.sqrt(budget)
    c = a * (1.0 + (150.0 - half) / 300.0)
    return np.where(strategy == "A", a, np.where(strategy == "B", budget, c))


def test_the_map_crosses_the_budget_with_a_swept_parameter_and_the_sentence_names_both():
    dims = {"budget_eur": BUDGETS, "strategy": ["A", "B", "C"], "half": [75.0, 300.0, 1200.0]}
    dataset = sweep(with_half_saturation, dims)
    dataset["half"].attrs["description"] = f"Swept override {KEY}"
    outcomes = budget_outcomes(dataset, KEY)
    assert set(outcomes["level"]) == {75.0, 300.0, 1200.0}
    cells = budget_map(outcomes).set_index(["budget_eur", "level"])
    assert cells.loc[(750e3, 75.0), "best"] == "C" and cells.loc[(750e3, 300.0), "best"] == "A"
    assert cells.loc[(15e6, 75.0), "best"] == "B"
    along_level = switches(outcomes, "level")
    first = along_level[along_level["at"] == 750e3].iloc[0]
    assert (first["below"], first["above"]) == ("C", "A")
    assert 75.0 < first["switch_value"] < 300.0
    arm, along_budget, parameter = budget_conditions(outcomes)
    sentence = condition_sentence(arm, along_budget, (KEY, parameter))
    assert sentence.startswith("Fund A if the budget is below")
    assert "and the engineering grant half-saturation is above" in sentence
    assert "otherwise B (above" in sentence and "or C (below" in sentence


def test_a_drawn_parameter_is_cut_into_quantile_bins():
    draws = np.arange(12)
    half = np.geomspace(75.0, 1200.0, 12)

    def values(budget, strategy, draw):
        return with_half_saturation(budget, strategy, half[draw])

    dims = {"budget_eur": BUDGETS, "strategy": ["A", "B", "C"], "draw": draws}
    dataset = sweep(values, dims, seeds=2)
    configs = np.empty([len(v) for v in (*dims.values(), range(2))], dtype=object)
    for index in np.ndindex(configs.shape):
        config = {"model": {"engineering": {KEY.rsplit(".", 1)[1]: half[index[2]]}}}
        configs[index] = json.dumps({**config, "seed": int(index[3])})
    dataset["run_config"] = (("budget_eur", "strategy", "draw", "seed"), configs.astype(str))
    outcomes = budget_outcomes(dataset, KEY, levels=3)
    levels = sorted(outcomes["level"].unique())
    assert len(levels) == 3 and levels[0] < 150.0 < levels[-1]
    assert (outcomes.groupby(["budget_eur", "level"])["states"].first() == 8).all()
    with pytest.raises(ValueError, match="neither swept nor drawn"):
        budget_outcomes(dataset, "model.unknown")
