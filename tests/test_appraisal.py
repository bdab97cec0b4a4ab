"""The appraisal functions: on synthetic cases with known answers, and on a real sweep."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from experiments.appraisal.discovery import prim
from experiments.appraisal.robustness import acceptability, net_benefit, recommend, robustness
from experiments.appraisal.states import (
    discount_factors,
    outcomes,
    payback_year,
    private_resources,
    state_parameters,
)
from experiments.appraisal.switching import switching_values
from experiments.appraisal.value_map import value_map
from experiments.appraisal.voi import draws_needed, evpi, evppi, value_of_information
from experiments.sweep.collect import collect_dataset
from simulation import run

from .conftest import small_config, small_sweep


def synthetic(
    extra: np.ndarray, paid: np.ndarray, arms: list[str], private: np.ndarray | None = None
) -> xr.Dataset:
    """Outcomes of arms (rows) in states (columns) with the given extra value and costs.

    `private`: the extra private resources (none by default).
    """
    dims = ("arm", "state")
    coords = {"arm": arms, "state": np.arange(extra.shape[1])}
    private = np.zeros_like(extra) if private is None else private
    return xr.Dataset(
        {
            "extra_value_eur": (dims, extra),
            "paid_eur": (dims, paid),
            "extra_private_resources_eur": (dims, private),
        },
        coords=coords,
    )


def test_regret_probability_best_and_cvar_on_a_two_state_case():
    case = synthetic(np.array([[1.0, 5.0], [3.0, 3.0]]), np.zeros((2, 2)), ["A", "B"])
    table = robustness(case).set_index("arm")
    assert table.loc["A", "probability_best"] == table.loc["B", "probability_best"] == 0.5
    assert table.loc["A", "regret_p90_eur"] == pytest.approx(1.8)  # regrets 2 and 0
    assert table.loc["A", "regret_cvar90_eur"] == 2.0  # the worst 10 %: the state with 2
    assert table.loc["B", "shortfall_p90_eur"] == 0.0  # B never falls below its mean
    _, sentence = recommend(robustness(case))
    assert "No robust choice from 2 state(s)" in sentence


def test_the_acceptability_curve_switches_where_the_extra_value_pays_the_cost():
    # A costs nothing and adds 1; B costs 1 and adds 3: B is better when 3v - 1 > v, v > 0.5.
    states = 20
    case = synthetic(
        np.vstack([np.ones(states), 3 * np.ones(states)]),
        np.vstack([np.zeros(states), np.ones(states)]),
        ["A", "B"],
    )
    curve = acceptability(case, np.array([0.25, 0.75, 2.0])).set_index("value_per_eur")
    assert (
        curve.loc[0.25, "A"] == 1.0 and curve.loc[0.75, "B"] == 1.0 and curve.loc[2.0, "B"] == 1.0
    )


def test_satisficing_counts_states_that_reach_the_leverage_threshold():
    case = synthetic(np.array([[1.0, 3.0, 5.0, 2.0, 9.0]]), np.ones((1, 5)), ["A"])
    assert robustness(case, threshold=2.5).loc[0, "satisficing_share"] == 0.6
    # Net: the ratio's denominator holds the extra private resources too: 3/2, 5/2, 9/2.
    case["extra_private_resources_eur"] += 1.0
    assert robustness(case, threshold=2.5).loc[0, "satisficing_share"] == 0.4
    assert robustness(case, threshold=2.5, objective="gross").loc[0, "satisficing_share"] == 0.6
    # Fewer resources with the fund than without (cost <= 0): satisfices if it adds value.
    case["extra_private_resources_eur"] -= 3.0
    assert robustness(case, threshold=2.5).loc[0, "satisficing_share"] == 1.0


def test_the_choice_is_made_on_the_net_social_benefit_and_the_gross_can_still_be_read():
    # A adds more value (5 a state) but draws in 4 of private resources; B adds 3 with 1.
    states = 10
    case = synthetic(
        np.vstack([5 * np.ones(states), 3 * np.ones(states)]),
        np.ones((2, states)),
        ["A", "B"],
        np.vstack([4 * np.ones(states), np.ones(states)]),
    )
    np.testing.assert_array_equal(net_benefit(case).sel(arm="A"), 0.0)  # 5 - 1 - 4
    np.testing.assert_array_equal(net_benefit(case, objective="gross").sel(arm="A"), 4.0)
    net = robustness(case).set_index("arm")
    gross = robustness(case, objective="gross").set_index("arm")
    assert net.loc["B", "probability_best"] == 1.0 and net.loc["A", "regret_p90_eur"] == 1.0
    assert gross.loc["A", "probability_best"] == 1.0
    assert recommend(robustness(case))[0] == "B"
    assert "net social benefit" in recommend(robustness(case))[1]
    with pytest.raises(ValueError, match="allowed: net, gross"):
        net_benefit(case, objective="partial")


def test_the_switching_value_is_found_where_the_advantage_changes_sign():
    rng = np.random.default_rng(0)
    theta = rng.uniform(0, 1, 2000)
    noise = rng.uniform(0, 1, 2000)
    advantage = (theta - 0.3) + 0.05 * rng.normal(size=2000)
    table = switching_values(advantage, pd.DataFrame({"theta": theta, "noise": noise}))
    assert table.loc[0, "parameter"] == "theta"
    assert table.loc[0, "switching_value"] == pytest.approx(0.3, abs=0.05)
    assert table.loc[0, "recommended_stays_best"] == "above"


def test_prim_recovers_a_known_box():
    rng = np.random.default_rng(1)
    x = pd.DataFrame(rng.uniform(0, 1, (3000, 3)), columns=["a", "b", "c"])
    inside = (x.a > 0.7) & (x.b < 0.3)
    y = inside.to_numpy() & (rng.uniform(size=3000) < 0.9)  # 10 % noise inside the box
    box, trajectory = prim(x, y)
    assert set(box.limits) <= {"a", "b"}
    assert box.limits["a"][0] == pytest.approx(0.7, abs=0.05)
    assert box.limits["b"][1] == pytest.approx(0.3, abs=0.05)
    assert box.density > 0.8 and box.coverage >= 0.5
    assert trajectory[0].mass == 1.0 and trajectory[-1].mass < 0.2


def test_evpi_and_evppi_on_a_case_with_a_known_answer():
    rng = np.random.default_rng(2)
    theta = rng.uniform(-1, 1, 4000)
    irrelevant = rng.uniform(0, 1, 4000)
    benefit = np.vstack([theta, -theta])  # A wins when theta > 0, B otherwise
    assert evpi(benefit) == pytest.approx(0.5, abs=0.02)  # E|theta| - |E theta|
    assert evppi(benefit, theta) == pytest.approx(0.5, abs=0.06)
    assert evppi(benefit, irrelevant) == pytest.approx(0.0, abs=0.03)
    table = value_of_information(benefit, pd.DataFrame({"theta": theta, "other": irrelevant}))
    assert list(table.parameter) == ["all parameters (EVPI)", "theta", "other"]


def test_the_draws_needed_for_the_evppi_follow_the_spread_against_the_evpi():
    # B beats A by 1 +- 2 (alternately 3 and -1): EVPI = mean of max(0, A - B) = 0.5,
    # spread of the advantage 2 (sample sd 2.02), so 10 bins need 10 (2.02 / 0.5)^2 = 163.
    states = 100
    advantage = np.tile([3.0, -1.0], states // 2)
    benefit = np.vstack([np.zeros(states), advantage])
    assert evpi(benefit) == pytest.approx(0.5)
    assert draws_needed(benefit) == 170  # rounded up to two significant digits
    assert draws_needed(benefit * 10) == 170  # a matter of scale-free noise
    assert draws_needed(np.vstack([np.zeros(states), np.ones(states)])) == 0  # EVPI 0
    assert draws_needed(np.zeros((1, states))) == 0  # one arm: nothing to choose


def test_the_recommendation_is_worded_without_a_zero_regret():
    # B is best in every state: said in words, not as a regret "under 0.00 MEUR".
    states = 10
    case = synthetic(
        np.vstack([np.ones(states), 3 * np.ones(states)]), np.zeros((2, states)), ["A", "B"]
    )
    arm, sentence = recommend(robustness(case))
    assert arm == "B" and "best arm in every one of the 10 states" in sentence
    assert "0.00" not in sentence and "regret" not in sentence
    # B is best in 9 states of 10 and loses 2 EUR in the tenth: best in 90 %.
    extra = np.vstack([np.r_[np.ones(9), 3.0], np.r_[3 * np.ones(9), 1.0]])
    arm, sentence = recommend(robustness(synthetic(extra, np.zeros((2, 10)), ["A", "B"])))
    assert arm == "B" and "best arm in 90\u00a0% of the 10 states" in sentence


def test_payback_is_the_first_year_the_cumulative_flow_stays_covered():
    flow = xr.DataArray(
        [[-10.0, 2, 3, 6, 1], [-1.0, 2, -3, 1, 5], [-1.0, -1, -1, -1, -1]],
        dims=("run", "time"),
        coords={"year": ("time", np.arange(5) / 4)},
    )
    years = payback_year(flow).values
    assert years[0] == 0.75  # cumulative -10, -8, -5, 1, 2
    assert years[1] == 1.0  # -1, 1, -2, -1, 4: covered for good only from the last step
    assert np.isnan(years[2])


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    root = tmp_path_factory.mktemp("appraisal")
    result = small_sweep(root / "sweep", "fund/strategy=none,uniform,concentrated", "seed=0,1,2")
    assert result.returncode == 0, result.stderr
    dataset, _ = collect_dataset(root / "sweep")
    return dataset


def test_the_npv_is_recomputed_by_hand_from_the_merged_present_values(merged):
    result = outcomes(merged)
    for arm in ("none", "uniform", "concentrated"):
        runs = merged.sel(strategy=arm)

        def pv(name, world, runs=runs):
            return runs[name].sel(world=world).transpose("seed").to_numpy()

        extra = pv("value_created_pv", "treated") - pv("value_created_pv", "counterfactual")
        paid = pv("fund_invested_pv", "treated")
        private = pv("private_resources_pv", "treated") - pv(
            "private_resources_pv", "counterfactual"
        )
        np.testing.assert_allclose(result.npv_eur.sel(arm=arm), extra - paid - private)
        np.testing.assert_allclose(result.gross_npv_eur.sel(arm=arm), extra - paid)
        np.testing.assert_allclose(result.extra_private_resources_eur.sel(arm=arm), private)
    np.testing.assert_array_equal(result.npv_eur, result.net_social_benefit_eur)
    funded = result.drop_sel(arm="none")
    assert (funded.extra_private_resources_eur > 0).all()  # the fund draws resources in
    assert (funded.npv_eur < funded.gross_npv_eur).all()


def test_the_benefit_cost_ratio_divides_by_every_extra_resource(merged):
    result = outcomes(merged)
    cost = result.paid_eur + result.extra_private_resources_eur
    funded = result.drop_sel(arm="none")
    np.testing.assert_allclose(
        funded.benefit_cost_ratio, funded.extra_value_eur / (cost.drop_sel(arm="none"))
    )
    np.testing.assert_allclose(funded.value_per_fund_eur, funded.extra_value_eur / funded.paid_eur)
    assert (funded.benefit_cost_ratio < funded.value_per_fund_eur).all()
    np.testing.assert_allclose(funded.cost_per_eur_of_value, 1 / funded.benefit_cost_ratio)
    # No fund, no extra resources: no cost to divide by.
    none = result.sel(arm="none")
    assert none.benefit_cost_ratio.isnull().all() and none.cost_per_eur_of_value.isnull().all()
    # The partners' share counts every private resource, not only the mobilised ones.
    np.testing.assert_array_equal(
        result.partners_extra_resources_eur, result.extra_private_resources_eur.clip(min=0)
    )
    assert (
        funded.partners_extra_resources_eur > funded.extra_mobilised_resources_eur.clip(min=0)
    ).all()


def test_the_private_resources_per_step_add_up_to_their_present_value(merged):
    # The payback's net flow needs them over time: resources used minus the grants used.
    for arm in ("none", "uniform", "concentrated"):
        runs = merged.sel(strategy=arm)
        discount = discount_factors(runs)
        for world in ("treated", "counterfactual"):
            flow = private_resources(runs.sel(world=world), placebo=False)
            np.testing.assert_allclose(
                (flow * discount).sum("time"), runs.private_resources_pv.sel(world=world)
            )
    placebo = run(small_config(seed=1, placebo=True)).sel(world="treated")
    assert float(placebo.fund_invested_pv) > 0
    flow = private_resources(placebo, placebo=True) * placebo.discount_factor
    np.testing.assert_allclose(float(flow.sum("time")), float(placebo.private_resources_pv))


def test_the_payback_is_on_the_net_flow(merged):
    result = outcomes(merged)
    # The cumulative net flow ends at the NPV: below 0, it never pays back.
    npv, years = result.npv_eur.values, result.payback_year.values
    assert np.isnan(years[npv < 0]).all()
    assert (npv[np.isfinite(years)] >= 0).all()


def test_outcomes_of_a_real_sweep_add_up(merged):
    result = outcomes(merged)
    assert result.sizes == {"arm": 3, "state": 3}
    np.testing.assert_allclose(
        result.value_with_fund_eur - result.deadweight_eur, result.extra_value_eur
    )
    none = result.sel(arm="none")
    assert (none.extra_value_eur == 0).all() and (none.paid_eur == 0).all()
    assert (none.displaced_value_eur == 0).all() and none.value_per_fund_eur.isnull().all()
    assert (result.displaced_value_eur >= 0).all()
    assert (
        ((result.fund_attribution_share > 0) & (result.fund_attribution_share <= 1))
        .sel(arm="uniform")
        .all()
    )
    table = value_map(result)
    assert set(table.quantity) >= {
        "npv_eur",
        "gross_npv_eur",
        "value_per_fund_eur",
        "payback_year",
        "displaced_value_eur",
    }
    row = table[(table.arm == "uniform") & (table.quantity == "extra_value_eur")].iloc[0]
    assert row.p5 <= row["mean"] <= row.p95 and row.states == 3
    assert state_parameters(merged).empty  # states differ only in their seed


def test_a_missing_run_drops_its_state_with_a_warning_and_no_infinite_number(merged):
    """Issue 26 E4: the missing arm had regret inf, the others a win in that state."""
    from experiments.appraisal.appraise import appraise

    broken = merged.copy(deep=True)
    cell = {"strategy": "uniform", "seed": 1}
    for name, variable in broken.data_vars.items():
        if variable.dtype.kind == "f" and {"strategy", "seed"} <= set(variable.dims):
            broken[name].loc[cell] = np.nan
    appraisal = appraise(broken)
    table = appraisal.robustness
    numbers = table.select_dtypes("number").to_numpy()
    assert np.isfinite(numbers).all(), table
    assert (table["states"] == 2).all()
    dropped = [w for w in appraisal.warnings if "states of the world dropped" in w]
    assert dropped and dropped[0].startswith("1 of 3 states of the world dropped")
    assert "seed=1: uniform" in dropped[0] and "over the 2 complete states only" in dropped[0]
    assert any("Only 2 state(s)" in w for w in appraisal.warnings)  # below the minimum
    complete = appraise(merged.sel(seed=[0, 2]))  # the same as leaving the state out
    pd.testing.assert_frame_equal(table, complete.robustness)
    pd.testing.assert_frame_equal(appraisal.value_map, complete.value_map)
    from experiments.reports.report import per_seed_metrics, summary_table

    frame = per_seed_metrics(broken)  # the report's tables: a missing run is no seed
    assert len(frame) == 8 and frame["net_social_benefit_meur"].notna().all()
    assert summary_table(frame).set_index("arm").loc["uniform", "seeds"] == 2


def test_robustness_compares_arms_only_where_every_arm_ran():
    extra = np.array([[1.0, 5.0, 2.0], [3.0, np.nan, 1.0]])
    table = robustness(synthetic(extra, np.zeros((2, 3)), ["A", "B"])).set_index("arm")
    assert table.loc["A", "probability_best"] == 0.5  # not 2/3: the missing state is no win
    assert table.loc["B", "expected_net_benefit_eur"] == 2.0
    assert np.isfinite(table.to_numpy(dtype=float)).all()
    missing = synthetic(np.array([[1.0], [np.nan]]), np.zeros((2, 1)), ["A", "B"])
    with pytest.raises(ValueError, match="no state of the world holds a run of every strategy"):
        robustness(missing)


def test_states_that_share_a_few_worlds_are_named_on_the_page():
    from experiments.appraisal.appraise import MIN_WORLDS, _world_warnings

    def sweep(seeds: int, draws: int) -> xr.Dataset:
        return xr.Dataset(coords={"seed": np.arange(seeds), "draw": np.arange(draws)})

    (warning,) = _world_warnings(sweep(2, 100), states=200)
    assert "200 states of the world share 2 world(s) (seed 0, 1)" in warning
    assert f"seed=range(0,{MIN_WORLDS})" in warning
    assert _world_warnings(sweep(MIN_WORLDS, 100), states=100 * MIN_WORLDS) == []
    assert _world_warnings(sweep(5, 1), states=5) == []  # each state its own world
    assert _world_warnings(xr.Dataset(coords={"draw": np.arange(4)}), states=4) == []


def test_a_ratio_over_states_is_the_mean_value_over_the_mean_cost():
    """Cost-benefit analysis divides expected values: one state whose cost nears 0 must
    not carry the ratio (its own ratio is 100; the mean of the ratios would be 35)."""
    from experiments.appraisal.states import pooled_ratio

    extra = np.array([10.0, 10.0, 10.0])
    paid = np.array([2.0, 2.0, 0.05])
    private = np.array([3.0, 3.0, 0.05])
    cost = paid + private
    state = ("state", [0, 1, 2])
    outcomes = xr.Dataset(
        {
            "extra_value_eur": (("arm", "state"), extra[None]),
            "paid_eur": (("arm", "state"), paid[None]),
            "extra_private_resources_eur": (("arm", "state"), private[None]),
            "partners_extra_resources_eur": (("arm", "state"), private[None]),
            "benefit_cost_ratio": (("arm", "state"), (extra / cost)[None]),
            "value_per_fund_eur": (("arm", "state"), (extra / paid)[None]),
            "cost_per_eur_of_value": (("arm", "state"), (cost / extra)[None]),
            "fund_attribution_share": (("arm", "state"), (paid / (paid + private))[None]),
        },
        coords={"arm": ["fund"], "state": state[1]},
    )
    table = value_map(outcomes).set_index("quantity")
    assert table.loc["benefit_cost_ratio", "mean"] == pytest.approx(30.0 / 10.1)
    assert table.loc["value_per_fund_eur", "mean"] == pytest.approx(30.0 / 4.05)
    assert table.loc["cost_per_eur_of_value", "mean"] == pytest.approx(10.1 / 30.0)
    assert table.loc["extra_value_eur", "mean"] == pytest.approx(10.0)  # not a ratio: the mean
    ratio = table.loc["benefit_cost_ratio"]
    assert ratio.p5 <= ratio["mean"] <= ratio.p95  # the mean of the ratios (35) is not
    # No cost to divide by: no ratio, as a single state with no cost has none.
    assert np.isnan(
        pooled_ratio(
            outcomes.assign(
                paid_eur=0.0 * outcomes.paid_eur,
                extra_private_resources_eur=0.0 * outcomes.paid_eur,
            ),
            "benefit_cost_ratio",
        )
    )


def test_a_pooled_ratio_leaves_a_state_with_a_missing_term_out_of_both_means():
    from experiments.appraisal.states import pooled_ratio

    outcomes = xr.Dataset(
        {
            "extra_value_eur": ("state", [10.0, 20.0, np.nan]),
            "paid_eur": ("state", [2.0, 2.0, 100.0]),
            "extra_private_resources_eur": ("state", [3.0, 3.0, 1.0]),
        }
    )
    # The third state's value is missing: its cost must not enter the mean cost either.
    assert pooled_ratio(outcomes, "benefit_cost_ratio") == pytest.approx(15.0 / 5.0)
