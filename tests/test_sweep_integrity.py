"""Corrupted, mixed and copied sweep folders: no wrong number is merged, damaged jobs re-run.

The cases of issue 26 (items 1-4, 8, 9), each failing on the code before it: a
dataset copied into another job's folder, a `job.json` replaced by its
neighbour's, an extra copy of a job folder, a flipped byte, a truncated file,
single runs with different overrides, and a merge whose bytes depended on
Python's hash seed. The property-based tests draw sequences of such damage with
hypothesis; `alliance-collect` must refuse, naming a damaged folder, and a
re-run must re-run exactly the damaged jobs.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import pytest
import xarray as xr
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from experiments.sweep.collect import collect, collect_dataset
from experiments.sweep.jobs import DATASET_NAME, RECORD_NAME, read_record
from experiments.sweep.merge import CollectRefused, ConfigMismatch
from experiments.sweep.plan import Plan, _classify

from .conftest import cli, small_sweep

SWEEP = ("+experiment=strategy_comparison", "fund/strategy=none,uniform", "seed=0,1,2")


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("integrity") / "sweep"
    result = small_sweep(root, *SWEEP)
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture(scope="module")
def merged(sweep) -> xr.Dataset:
    with tempfile.TemporaryDirectory() as folder:
        dataset, _ = collect_dataset(sweep, Path(folder) / "merged.nc")
    return dataset


def jobs_of(folder: Path) -> list[Path]:
    return sorted(p.parent for p in folder.rglob(RECORD_NAME))


def copied(sweep: Path, target: Path) -> Path:
    shutil.copytree(sweep, target)
    (target / "collected.nc").unlink(missing_ok=True)
    return target


def flip(path: Path, position: int, bit: int = 0) -> None:
    data = bytearray(path.read_bytes())
    if not data:  # truncated to nothing by an earlier damage: still damaged
        return
    data[position % len(data)] ^= 1 << bit
    path.write_bytes(bytes(data))


def unchanged(job: Path, original: Path) -> bool:
    """Does a job folder hold the same dataset and record as in the untouched sweep?"""
    return original.exists() and all(
        (job / name).read_bytes() == (original / name).read_bytes()
        for name in (DATASET_NAME, RECORD_NAME)
    )


def skipped_by_rerun(job: Path, config_hash: str | None = None) -> bool:
    """Would a re-run of the sweep skip this job (the plan's decision for its folder)?

    `config_hash` is the hash of the job's configuration, which the re-run composes
    afresh; by default its record's (an untouched job).
    """
    record = read_record(job)
    plan = Plan(sweep_dir=job)
    config_hash = config_hash or record["config_hash"]
    _classify(plan, types.SimpleNamespace(folder=job, config_hash=config_hash))
    return bool(plan.skipped)


# Damage: (kind, job index, other job index, position in the file).
DAMAGE = st.tuples(
    st.sampled_from(["flip", "truncate", "dataset_of", "record_of", "copy_folder"]),
    st.integers(0, 5),
    st.integers(0, 5),
    st.integers(0, 10**6),
)


def damaged(folder: Path, kind: str, i: int, j: int, position: int) -> Path | None:
    """Damage job `i` of `folder`; return the folder collect must name (None: no damage)."""
    jobs = jobs_of(folder)
    job, other = jobs[i], jobs[j]
    if kind == "flip":
        flip(job / DATASET_NAME, position, position % 8)
    elif kind == "truncate":
        data = (job / DATASET_NAME).read_bytes()
        (job / DATASET_NAME).write_bytes(data[: position % max(len(data), 1)])
    elif kind == "dataset_of":
        if i == j:
            return None
        shutil.copyfile(other / DATASET_NAME, job / DATASET_NAME)
    elif kind == "record_of":
        if i == j:
            return None
        shutil.copyfile(other / RECORD_NAME, job / RECORD_NAME)
    else:
        copy = job.with_name(f"{job.name},copy{position}")
        if copy.exists():
            return None
        shutil.copytree(job, copy)
        return copy
    return job


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.lists(DAMAGE, min_size=1, max_size=3))
def test_any_damage_is_refused_naming_a_damaged_folder_and_rerun(sweep, damage):
    with tempfile.TemporaryDirectory() as scratch:
        folder = copied(sweep, Path(scratch) / "sweep")
        named = {damaged(folder, *item) for item in damage} - {None}
        originals = {job.relative_to(folder) for job in jobs_of(folder) if job not in named}
        named = {job for job in named if not unchanged(job, sweep / job.relative_to(folder))}
        if not named:
            return
        with pytest.raises(CollectRefused) as refusal:
            collect(folder, Path(scratch) / "merged.nc", workers=1)
        message = str(refusal.value)
        assert "\n" not in message
        assert any(message.startswith(f"{job}:") for job in named), message
        assert not (Path(scratch) / "merged.nc").exists()
        # A re-run skips no job whose dataset was damaged (a copied folder is not a job).
        for job in named:
            original = sweep / job.relative_to(folder)
            if original.exists():  # not a copied folder
                assert not skipped_by_rerun(job, read_record(original)["config_hash"])
        assert originals  # some jobs are untouched


def test_an_untouched_sweep_is_skipped_by_a_rerun(sweep):
    assert all(skipped_by_rerun(job) for job in jobs_of(sweep))


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 5), st.integers(0, 5))
def test_an_older_sweeps_swapped_dataset_is_caught_by_its_attributes(sweep, i, j):
    """Records without a checksum (older sweeps): the dataset's seed and overrides still are."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = copied(sweep, Path(scratch) / "sweep")
        for job in jobs_of(folder):
            record = read_record(job)
            record.pop("dataset"), record.pop("folder")
            (job / RECORD_NAME).write_text(json.dumps(record))
        jobs = jobs_of(folder)
        if i != j:
            shutil.copyfile(jobs[j] / DATASET_NAME, jobs[i] / DATASET_NAME)
            with pytest.raises(CollectRefused, match=f"^{jobs[i]}: its dataset is another run's"):
                collect(folder, Path(scratch) / "merged.nc", workers=1)
        shutil.copytree(jobs[i], folder / "extra")
        with pytest.raises(CollectRefused, match="a second run of the cell"):
            collect(folder, Path(scratch) / "merged.nc", workers=1)


def test_a_damaged_sweep_reruns_exactly_its_damaged_jobs_and_merges_as_before(
    sweep, merged, tmp_path
):
    folder = copied(sweep, tmp_path / "sweep")
    jobs = jobs_of(folder)
    shutil.copyfile(jobs[3] / DATASET_NAME, jobs[4] / DATASET_NAME)  # issue 26, item 1
    flip(jobs[0] / DATASET_NAME, 200_000)  # item 3
    data = (jobs[1] / DATASET_NAME).read_bytes()
    (jobs[1] / DATASET_NAME).write_bytes(data[:1000])  # item 4
    refused = cli("alliance-collect", str(folder), cwd=tmp_path)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    rerun = small_sweep(folder, *SWEEP)
    assert rerun.returncode == 0, rerun.stderr
    assert "3 done, 0 failed, 3 already complete, 3 re-run (dataset damaged)" in rerun.stdout
    again, _ = collect_dataset(folder, tmp_path / "merged.nc")
    numbers = ("value_created", "premium_leverage", "size_class")
    xr.testing.assert_identical(
        again[list(numbers)].drop_attrs(deep=False), merged[list(numbers)].drop_attrs(deep=False)
    )


def single_run(folder: Path, source: Path, overrides: list[str], seed: int) -> None:
    """A single run's folder as `alliance-run` leaves it (`.hydra` files and dataset.nc)."""
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    (folder / ".hydra" / "config.yaml").write_text(yaml.safe_dump({"seed": seed}))
    shutil.copyfile(source, folder / DATASET_NAME)


def test_single_runs_with_different_overrides_are_refused_naming_the_keys(sweep, tmp_path):
    """Issue 26, item 8: was KeyError: 'fund.budget_eur'."""
    source = jobs_of(sweep)[0] / DATASET_NAME
    single_run(tmp_path / "runs" / "a", source, ["fund.budget_eur=1000000"], 0)
    single_run(tmp_path / "runs" / "b", source, [], 0)
    single_run(tmp_path / "runs" / "c", source, ["calibrated=posterior", "draw=1"], 0)
    with pytest.raises(ConfigMismatch, match=r"calibrated, draw, fund\.budget_eur set in some"):
        collect(tmp_path / "runs", tmp_path / "merged.nc")
    result = cli("alliance-collect", str(tmp_path / "runs"), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("alliance-collect: runs made under different overrides")
    assert len(result.stderr.strip().splitlines()) == 1


def test_collect_writes_the_same_bytes_whatever_the_hash_seed(sweep, tmp_path):
    """Issue 26, item 9: xarray ordered the unlimited dimensions by a set."""
    folder = copied(sweep, tmp_path / "sweep")
    script = (
        "import sys; from pathlib import Path; from experiments.sweep.collect import collect; "
        "collect(Path(sys.argv[1]), Path(sys.argv[2]), workers=1)"
    )
    digests = set()
    for seed in ("0", "1", "2", "3"):
        output = tmp_path / f"merged{seed}.nc"
        subprocess.run(
            [sys.executable, "-c", script, str(folder), str(output)],
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            timeout=120,
        )
        digests.add(hashlib.sha256(output.read_bytes()).hexdigest())
    assert len(digests) == 1


def test_single_runs_swapped_datasets_are_refused_and_2e6_is_a_number(tmp_path):
    """Issue 26 E1, E2, E7: each run merged under its own budget, or refused."""
    from .conftest import SMALL_OVERRIDES

    runs = tmp_path / "outputs"
    for name, budget in (("a", "2e6"), ("b", "3000000")):
        result = cli(
            "alliance-run",
            "seed=1",
            f"fund.budget_eur={budget}",
            *SMALL_OVERRIDES,
            f"hydra.run.dir={runs / name}",
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
    merged = cli("alliance-collect", str(runs), cwd=tmp_path)
    assert merged.returncode == 0, merged.stderr
    assert "2 not checked against a checksum" in merged.stdout.splitlines()[-2]
    with xr.open_dataset(runs / "collected.nc", engine="netcdf4") as dataset:
        assert dataset.budget_eur.dtype.kind == "f"  # YAML 1.1 read 2e6 as a string
        assert list(dataset.budget_eur.values) == [2e6, 3e6]
    (runs / "collected.nc").unlink()
    a, b = runs / "a" / DATASET_NAME, runs / "b" / DATASET_NAME
    a.rename(tmp_path / "a.nc"), b.rename(a), (tmp_path / "a.nc").rename(b)
    refused = cli("alliance-collect", str(runs), cwd=tmp_path)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert refused.stderr.startswith(f"alliance-collect: {runs / 'a'}: its dataset is another")
    assert "fund.budget_eur=3000000" in refused.stderr
    assert not (runs / "collected.nc").exists()


def test_a_job_folder_replaced_by_a_link_is_refused(sweep, tmp_path):
    """Issue 26 E3: collect skipped it silently ("9 runs merged", none unfinished)."""
    folder = copied(sweep, tmp_path / "sweep")
    jobs = jobs_of(folder)
    shutil.rmtree(jobs[0])
    jobs[0].symlink_to(jobs[1])
    with pytest.raises(CollectRefused, match=f"^{jobs[0]}: a symbolic link"):
        collect(folder, tmp_path / "merged.nc", workers=1)
    jobs[0].unlink()
    shutil.copytree(jobs[1], jobs[0])
    (jobs[1] / DATASET_NAME).unlink()
    (jobs[1] / DATASET_NAME).symlink_to(jobs[0] / DATASET_NAME)  # a file linked: refused too
    with pytest.raises(CollectRefused, match="a symbolic link"):
        collect(folder, tmp_path / "merged.nc", workers=1)
    assert not (tmp_path / "merged.nc").exists()


def test_a_copied_dataset_with_its_checksum_rewritten_is_refused_and_rerun(sweep, tmp_path):
    """Issue 26 E6: collect refused it, the sweep's skip check said "already complete"."""
    folder = copied(sweep, tmp_path / "sweep")
    job, other = jobs_of(folder)[:2]
    shutil.copyfile(other / DATASET_NAME, job / DATASET_NAME)
    record = read_record(job)
    data = (job / DATASET_NAME).read_bytes()
    record["dataset"] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (job / RECORD_NAME).write_text(json.dumps(record))
    with pytest.raises(CollectRefused, match=f"^{job}: its dataset is another run's"):
        collect(folder, tmp_path / "merged.nc", workers=1)
    assert not skipped_by_rerun(job)
    assert skipped_by_rerun(other)


def test_runs_without_a_checksum_are_counted_in_the_last_line(sweep, tmp_path):
    """Issue 26 E7: an older sweep's records (no checksum) were merged without a word."""
    folder = copied(sweep, tmp_path / "sweep")
    for job in jobs_of(folder)[:4]:
        record = read_record(job)
        record.pop("dataset")
        (job / RECORD_NAME).write_text(json.dumps(record))
    result = cli("alliance-collect", str(folder), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "6 runs merged" in result.stdout
    assert "; 4 not checked against a checksum" in result.stdout


OVERRIDES = [
    *("fund/strategy=uniform", "+experiment=strategy_comparison", "scenario=national"),
    *("seed=3", "seed=-0", "seed=007", "a.b.c=_x1", "x=a-b", "a@b=c", "~x", "x=2e6", "x=e5"),
    *("x=true", "x=True", "x=FALSE", "x=null", "x=NULL", "x=none", "x=None", "x=truex"),
    *("x=nan", "x=NaN", "x=inf", "x=Inf", "x=-inf", "x=infinity", "x=nano", "x=[1,2]"),
]


@pytest.mark.parametrize("item", OVERRIDES)
def test_collect_reads_an_override_as_hydra_does(item):
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from experiments.sweep.collect import override_value

    override = OverridesParser.create().parse_override(item)
    value = override.value()
    text = item.lstrip("+~").partition("=")[2]
    expected = (override.key_or_group, value if isinstance(value, int | float | str) else text)
    assert repr(override_value(item)) == repr(expected)
    assert type(override_value(item)[1]) is type(expected[1])
