"""Switching values against every other arm, on a synthetic case with a known answer."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from experiments.appraisal.switching import (
    ANY,
    most_influential,
    switching_against_arms,
    switching_values,
)
from experiments.reports.report_text import condition_sentence, switching_condition
from experiments.wording.formats import number


def planted(states: int = 2000, seed: int = 0) -> tuple[xr.DataArray, pd.DataFrame]:
    """R is recommended, B the runner-up on average, C third but best where theta < 1/3.

    Net benefits: R = 1, B = 0.6 (never above R), C = 2 - 3 theta (mean 0.5, above R
    for theta below 1/3), each with noise; `noise` is an irrelevant parameter.
    """
    rng = np.random.default_rng(seed)
    theta = rng.uniform(0, 1, states)
    noise = rng.uniform(0, 1, states)
    values = np.vstack(
        [
            1.0 + 0.1 * rng.normal(size=states),
            0.6 + 0.1 * rng.normal(size=states),
            2.0 - 3.0 * theta + 0.1 * rng.normal(size=states),
        ]
    )
    benefit = xr.DataArray(
        values, dims=("arm", "state"), coords={"arm": ["R", "B", "C"], "state": np.arange(states)}
    )
    return benefit, pd.DataFrame({"noise": noise, "theta": theta})


def test_the_switch_to_a_third_arm_is_found_where_the_runner_up_never_switches():
    benefit, parameters = planted()
    # Against the runner-up alone, nothing turns: the old reading, "no switching value".
    runner_up = switching_values((benefit.sel(arm="R") - benefit.sel(arm="B")).values, parameters)
    assert runner_up["switching_value"].isna().all()
    table = switching_against_arms(benefit, parameters, "R")
    assert most_influential(table) == "theta"
    theta = table[table.parameter == "theta"].set_index("other")
    assert theta.loc[ANY, "switching_value"] == pytest.approx(1 / 3, abs=0.04)
    assert theta.loc[ANY, "recommended_stays_best"] == "above"
    assert theta.loc[ANY, "best_low"] == "C" and theta.loc[ANY, "best_high"] == "R"
    assert theta.loc[ANY, "clearest_loss_t"] < -2  # a loss beyond the noise
    assert theta.loc["C", "switching_value"] == pytest.approx(1 / 3, abs=0.04)
    assert np.isnan(theta.loc["B", "switching_value"])
    assert theta.loc["B", "recommended_stays_best"] == "everywhere"
    # The summary's sentence names the condition and the arm that wins beyond it.
    key, (value, side, beyond) = switching_condition(table)
    assert (key, side, beyond) == ("theta", "above", "C")
    sentence = condition_sentence("R", parameter=(key, (value, side, beyond)))
    assert sentence == f"Fund R if the theta is above {number(value)}; otherwise C."
    # The irrelevant parameter: no switch, R best at both ends.
    noise = table[(table.parameter == "noise") & (table.other == ANY)].iloc[0]
    assert np.isnan(noise["switching_value"]) and noise["recommended_stays_best"] == "everywhere"


def test_each_parameter_lists_the_best_of_the_others_then_every_arm_closest_first():
    benefit, parameters = planted(states=600)
    table = switching_against_arms(benefit, parameters, "R")
    assert list(table[table.parameter == "theta"].other) == [ANY, "B", "C"]
    assert set(table.parameter) == {"theta", "noise"}
    assert table.iloc[0]["parameter"] == "theta"  # the most influential first
    with pytest.raises(ValueError, match="not one of the arms"):
        switching_against_arms(benefit, parameters, "D")
    assert switching_against_arms(benefit, parameters.iloc[:, :0], "R").empty


def test_a_lead_that_changes_sign_twice_states_no_single_condition():
    benefit, parameters = planted()
    theta = parameters["theta"].to_numpy()
    # C beats R at both ends of theta (|theta - 0.5| > 0.25), not in the middle.
    benefit.loc["C"] = 0.5 + 8.0 * (theta - 0.5) ** 2
    table = switching_against_arms(benefit, parameters, "R")
    row = table[(table.parameter == "theta") & (table.other == ANY)].iloc[0]
    assert row["recommended_stays_best"] == "mixed"
    assert row["switching_value"] == pytest.approx(0.25, abs=0.05)  # the first crossing
    assert switching_condition(table) is None


def test_a_parameter_with_tied_values_leaves_no_empty_bin():
    # A posterior's draws repeat values (a chain that stays put), and each draw's
    # seeds share them: in a 20-draw x 2-seed appraisal, 40 states held 14 values of
    # `level_factor`, and two quantile edges fell between the same two values. The
    # empty bin's mean warned (warnings are errors here) and came out NaN.
    benefit, parameters = planted(states=40, seed=3)
    repeats = [2, 2, 2, 2, 4, 2, 2, 2, 2, 6, 2, 6, 2, 4]  # as measured, 40 in all
    tied = np.repeat(np.linspace(0.05, 0.95, len(repeats)), repeats)
    parameters = parameters.assign(theta=tied)
    table = switching_against_arms(benefit, parameters, "R")
    assert set(table.parameter) == {"theta", "noise"}
    numbers = table[["advantage_low_eur", "advantage_high_eur", "range_low", "range_high"]]
    assert np.isfinite(numbers.to_numpy(dtype=float)).all()
    runner_up = switching_values((benefit.sel(arm="R") - benefit.sel(arm="B")).values, parameters)
    assert np.isfinite(runner_up["advantage_low_eur"].to_numpy(dtype=float)).all()
