"""Batches of jobs in one process: shared counterfactual worlds, packing, isolated failures."""

import dataclasses
import json
import sys

import pytest
import xarray as xr

from experiments.config.schema import JobConfig
from experiments.sweep.execute import make_tasks
from experiments.sweep.jobs import JobSpec
from experiments.sweep.worker import group_by_counterfactual, run_task
from simulation import run
from simulation.config import StrategyConfig
from simulation.dataset import config_hash
from simulation.model import AllianceModel
from simulation.run import counterfactual_config

from .conftest import small_config

STRATEGIES = {
    "none": StrategyConfig(
        name="none", shares={k: 0.0 for k in ("engineering", "innovation", "structural")}
    ),
    "uniform": StrategyConfig(),
    "engineering_only": StrategyConfig(
        name="engineering_only",
        shares={"engineering": 1.0, "innovation": 0.0, "structural": 0.0},
        engineering_target="small",
    ),
}


def spec(tmp_path, index, seed, strategy, placebo=False, **model) -> JobSpec:
    config = small_config(seed=seed, budget_eur=3e6, strategy=STRATEGIES[strategy], placebo=placebo)
    for path, value in model.items():
        section, name = path.split("__")
        setattr(getattr(config.model, section), name, value)
    job = JobConfig(**{f.name: getattr(config, f.name) for f in dataclasses.fields(config)})
    return JobSpec(
        index=index,
        overrides=(f"fund/strategy={strategy}", f"seed={seed}"),
        folder=tmp_path / f"job{index}",
        config=job,
        calibrated="none",
        command="alliance-run -m test",
        config_hash=config_hash(job.run_config()),
        git_commit="test",
    )


def test_arms_that_differ_only_in_their_fund_share_one_counterfactual(tmp_path):
    specs = [
        spec(tmp_path, i, seed, name, placebo)
        for i, (seed, name, placebo) in enumerate(
            [
                (1, "none", False),
                (1, "uniform", False),
                (1, "uniform", True),
                (2, "uniform", False),
                (1, "engineering_only", False),
            ]
        )
    ]
    specs.append(spec(tmp_path, 5, 1, "uniform", production__productivity=1.2))
    groups = group_by_counterfactual(specs)
    assert [[s.index for s in g] for g in groups] == [[0, 1, 2, 4], [3], [5]]


def test_the_shared_counterfactual_gives_exactly_a_fresh_run(tmp_path):
    specs = [spec(tmp_path, i, 4, name) for i, name in enumerate(STRATEGIES)]
    specs.append(spec(tmp_path, 3, 4, "uniform", placebo=True))
    outcomes = run_task(specs)
    assert [o.status for o in outcomes] == ["done"] * 4
    for one in specs:
        fresh = run(one.config.run_config())
        with xr.open_dataset(one.folder / "dataset.nc") as shared:
            xr.testing.assert_equal(shared.load(), fresh)
            assert shared.attrs["config_hash"] == fresh.attrs["config_hash"] == one.config_hash
        record = json.loads((one.folder / "job.json").read_text())
        assert record["status"] == "done" and record["config_hash"] == one.config_hash
        assert "frugality" in (one.folder / "run.log").read_text()


def test_the_counterfactual_does_not_depend_on_the_funds_settings():
    # The canonical no-fund world (defaults, zero budget) is the world of a run's own
    # fund settings at zero budget: what lets arms share it.
    config = small_config(seed=2, budget_eur=3e6, strategy=STRATEGIES["engineering_only"])
    config.fund.years, config.fund.grant_steps = 1.0, 2
    own = dataclasses.replace(config, fund=dataclasses.replace(config.fund, budget_eur=0.0))
    canonical = AllianceModel(counterfactual_config(config)).run().recorder
    mine = AllianceModel(own).run().recorder
    for name, values in vars(canonical).items():
        if hasattr(values, "shape"):
            assert (values == getattr(mine, name)).all(), name


def test_a_failing_job_fails_alone_and_leaves_its_traceback(tmp_path, monkeypatch):
    run_module = sys.modules["simulation.run"]
    measure = run_module.measure

    def broken(treated, counterfactual):
        if treated.config.fund.strategy.name == "engineering_only":
            raise RuntimeError("boom")
        return measure(treated, counterfactual)

    monkeypatch.setattr(run_module, "measure", broken)
    specs = [spec(tmp_path, i, 1, name) for i, name in enumerate(STRATEGIES)]
    outcomes = {o.index: o for o in run_task(specs)}
    assert outcomes[2].status == "failed" and outcomes[2].message == "RuntimeError: boom"
    assert outcomes[0].status == outcomes[1].status == "done"
    assert "RuntimeError: boom" in (tmp_path / "job2" / "error.txt").read_text()
    assert json.loads((tmp_path / "job2" / "job.json").read_text())["status"] == "failed"
    assert not (tmp_path / "job2" / "dataset.nc").exists()


@pytest.mark.parametrize(
    ("runs_per_task", "sizes"), [(0, [3, 3, 1]), (2, [2, 1, 2, 2]), (4, [3, 4]), (100, [7])]
)
def test_tasks_keep_counterfactual_groups_together(tmp_path, runs_per_task, sizes):
    specs = [
        spec(tmp_path, i, seed, name)
        for i, (seed, name) in enumerate(
            [(s, n) for s in (1, 2) for n in STRATEGIES] + [(3, "uniform")]
        )
    ]
    tasks = make_tasks(specs, runs_per_task)
    assert [len(t) for t in tasks] == sizes
    assert sorted(s.index for t in tasks for s in t) == list(range(7))


def test_another_launchers_job_runs_again_when_its_dataset_is_damaged(tmp_path, capsys):
    """Hydra's joblib and submitit launchers skip a done job only if its dataset is intact."""
    from experiments.cli.run import run_sweep_job
    from experiments.sweep.jobs import DATASET_NAME

    job = spec(tmp_path, 0, 3, "uniform")
    run_sweep_job(job)
    path = job.folder / DATASET_NAME
    intact = path.read_bytes()
    run_sweep_job(job)
    assert "already complete" in capsys.readouterr().out
    path.write_bytes(intact[: len(intact) // 2])  # truncated
    run_sweep_job(job)
    assert "already complete" not in capsys.readouterr().out
    assert path.read_bytes() == intact
