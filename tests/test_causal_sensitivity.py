"""The causal sensitivity's runs: draw d in world d + offset, ranked gross and net."""

import pytest

from experiments import load_config
from experiments.appraisal.flows import money_flows
from experiments.calibrating.causal_sensitivity import one_run
from simulation import run


def test_one_run_reads_its_draw_in_its_world_and_nets_every_resource():
    draw, strategy, leverage, per_budget, net = one_run((3, "uniform", 1003))
    assert (draw, strategy) == (3, "uniform")
    dataset = run(load_config(["calibrated=posterior", "draw=3", "seed=1003"]))
    assert leverage == float(dataset.premium_leverage.sel(view="causal", measure="value"))
    assert per_budget == float(dataset.value_per_eur_budgeted)
    # Net social benefit per euro paid is the causal net leverage minus 1 (docs 8.5).
    paid = float(money_flows(dataset).paid)
    net_leverage = float(dataset.premium_leverage.sel(view="causal", measure="net"))
    assert net == pytest.approx((net_leverage - 1) * paid / 1e6, rel=1e-12)
    # Another world gives another answer: the seed is the offset one.
    assert one_run((3, "uniform", 3))[4] != net
