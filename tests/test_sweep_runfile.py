"""A sweep job's dataset.nc (CDF-5, written without HDF5): what xarray reads back, and the merge.

Property-based: any dataset of the dtypes a run holds, written as a run file,
opens in xarray identical to the same dataset written by `to_netcdf`; any
truncation is refused, never misread. A sweep merged from run files is the
dataset merged from the same runs written as NetCDF-4 by xarray (issue 23, item 4).
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from experiments.sweep import runfile
from experiments.sweep.collect import collect_dataset
from experiments.sweep.jobs import DATASET_NAME, RECORD_NAME
from experiments.sweep.runfile import (
    MAGIC,
    open_run,
    open_run_file,
    read_raw,
    run_file_bytes,
    write_run_file,
)

from .conftest import small_sweep

DTYPES = ("i1", "i4", "i8", "f4", "f8")
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
ATTRIBUTE = st.one_of(TEXT, st.integers(-(2**62), 2**62), st.floats(allow_nan=False))
NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)


@st.composite
def datasets(draw) -> xr.Dataset:
    sizes = {"x": draw(st.integers(1, 4)), "y": draw(st.integers(1, 3))}
    names = draw(
        st.lists(NAMES.filter(lambda n: n not in ("x", "y")), min_size=1, max_size=5, unique=True)
    )
    variables = {}
    for name in names:
        dims = draw(st.sampled_from([(), ("x",), ("x", "y")]))
        shape = tuple(sizes[d] for d in dims)
        if draw(st.booleans()):
            values = np.array(draw(hnp.arrays(object, shape, elements=TEXT)), dtype=str)
        else:
            values = draw(hnp.arrays(draw(st.sampled_from(DTYPES)), shape))
        attrs = draw(st.dictionaries(NAMES, ATTRIBUTE, max_size=3))
        variables[name] = xr.Variable(dims, values, attrs)
    coords = {"x": [f"c{i}" for i in range(sizes["x"])], "y": np.arange(sizes["y"])}
    attrs = draw(st.dictionaries(NAMES, ATTRIBUTE, max_size=4))
    return xr.Dataset(variables, coords=coords, attrs=attrs)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets())
def test_a_run_file_opens_as_the_same_dataset_as_xarrays_netcdf4(tmp_path_factory, dataset):
    folder = tmp_path_factory.mktemp("runfile")
    dataset.to_netcdf(folder / "xarray.nc", engine="netcdf4")
    write_run_file(dataset, folder / DATASET_NAME)
    assert (folder / DATASET_NAME).read_bytes() == run_file_bytes(dataset)  # reproducible
    with xr.open_dataset(folder / "xarray.nc", engine="netcdf4") as expected:
        expected = expected.load()
    with xr.open_dataset(folder / DATASET_NAME, engine="netcdf4") as opened:
        xr.testing.assert_identical(opened.load(), expected)
    xr.testing.assert_identical(open_run_file(folder / DATASET_NAME), expected)
    for name, variable in expected.variables.items():
        if variable.dtype.kind in "iuf":
            assert open_run(folder / DATASET_NAME)[name].dtype == variable.dtype


def _other_values(dataset: xr.Dataset) -> xr.Dataset:
    """The same variables, names, dtypes and attributes, other values (NaN among floats)."""
    other = dataset.copy(deep=True)
    for name, variable in other.data_vars.items():
        if variable.dtype.kind in "iuf" and variable.size:
            values = (
                variable.values[::-1].copy() if variable.ndim else np.ones_like(variable.values)
            )
            if variable.dtype.kind == "f":
                values.flat[0] = np.nan
            other[name] = (variable.dims, values, variable.attrs)
    return other


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets())
def test_xarrays_encoding_reused_by_signature_gives_xarrays_bytes(dataset):
    """A variable encoded as xarray would, from an earlier one of its signature, not by xarray."""
    dataset = dataset.assign(flag=(("x",), np.arange(dataset.sizes["x"]) % 2 == 0, {"u": "-"}))
    other = _other_values(dataset)
    runfile._PLAIN_ENCODINGS.clear()
    cold = runfile._general_bytes(other)
    runfile._general_bytes(dataset)  # the signatures, learnt from other values
    assert runfile._PLAIN_ENCODINGS  # the boolean's at least
    assert runfile._general_bytes(other) == cold


def _other_text(dataset: xr.Dataset) -> xr.Dataset:
    """The same dataset with its text variables' values in reverse order (same widths)."""
    other = dataset.copy(deep=True)
    for name, variable in other.data_vars.items():
        if variable.dtype.kind == "U" and variable.ndim:
            other[name] = (variable.dims, variable.values[::-1].copy(), variable.attrs)
    return other


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets())
def test_a_layouts_plan_writes_other_values_as_xarrays_encoder_does(dataset):
    """A plan learnt from one dataset writes another of its layout as the general path."""
    dataset = dataset.assign(flag=(("x",), np.arange(dataset.sizes["x"]) % 2 == 0, {"u": "-"}))
    other = _other_text(_other_values(dataset))
    runfile._PLANS.clear()
    assert run_file_bytes(dataset) == runfile._general_bytes(dataset)
    assert len(runfile._PLANS) == 1  # learnt, and checked against the general path
    assert runfile._layout_key(other)[0] in runfile._PLANS  # the same layout
    assert run_file_bytes(other) == runfile._general_bytes(other)


def test_text_of_another_width_is_another_layout():
    def labelled(labels: list[str]) -> xr.Dataset:
        return xr.Dataset({"v": ("x", [1.0, 2.0])}, coords={"x": labels})

    runfile._PLANS.clear()
    for labels in (["a", "b"], ["a", "bé"], ["c", "dé"], [""] * 2):
        dataset = labelled(labels)
        assert run_file_bytes(dataset) == runfile._general_bytes(dataset)
        assert run_file_bytes(dataset) == runfile._general_bytes(dataset)  # from the plan
    assert len(runfile._PLANS) == 2  # widths 1 (empty text too) and 3 ("é" is two bytes)


def test_attribute_names_equal_in_python_but_written_otherwise_are_another_layout():
    """`1 == True == 1.0` as dict keys, but they are written "1", "True" and "1.0"."""
    runfile._PLANS.clear()
    runfile._ENCODED_ATTRS.clear()
    runfile._PLAIN_ENCODINGS.clear()
    for name in (1, True, 1.0):
        dataset = xr.Dataset({"v": ("x", [1.0, 2.0], {name: "a"})})
        written = read_raw(run_file_bytes(dataset)).var_attrs["v"]
        others = {"1", "True", "1.0"} - {str(name)}
        assert str(name) in written and not others & set(written)
        assert run_file_bytes(dataset) == runfile._general_bytes(dataset)
    assert len(runfile._PLANS) == 3


def test_a_dataset_the_plans_do_not_cover_goes_through_xarray_each_time():
    plain = xr.Dataset({"v": ("x", np.array([1.5, np.nan, 3.0]), {"units": "EUR"})})
    masked = plain.copy(deep=True)
    masked["v"].encoding = {"_FillValue": -9.0}
    named = plain.assign_attrs(coordinates="x")
    objects = plain.assign(t=("x", np.array(["a", "b", "c"], dtype=object)))
    runfile._PLANS.clear()
    for dataset in (masked, named, objects):
        assert runfile._layout_key(dataset) is None
        assert run_file_bytes(dataset) == runfile._general_bytes(dataset)
    assert not runfile._PLANS


@pytest.mark.parametrize("overrides", [["seed=2"], ["fund/strategy=concentrated", "seed=4"]])
def test_a_runs_file_from_the_plan_is_the_general_paths(overrides):
    """Runs of other seeds and strategies share the default run's plan and get its bytes."""
    from experiments.config.schema import load_config
    from simulation import run

    runfile._PLANS.clear()
    first = run(load_config([]))
    run_file_bytes(first)
    dataset = run(load_config(overrides))
    assert runfile._layout_key(dataset)[0] in runfile._PLANS
    assert run_file_bytes(dataset) == runfile._general_bytes(dataset)


def test_a_run_file_names_non_dimension_coordinates_as_xarray_does(tmp_path):
    dataset = xr.Dataset(
        {"v": (("x", "y"), np.arange(6.0).reshape(3, 2)), "w": ("y", [1, 2])},
        coords={"x": [0, 1, 2], "label": ("x", ["a", "b", "c"]), "scale": 2.5},
    )
    dataset.to_netcdf(tmp_path / "xarray.nc", engine="netcdf4")
    runfile._COORDINATE_NAMES.clear()
    cold = runfile._general_bytes(dataset)
    assert runfile._COORDINATE_NAMES  # the names xarray gave, by the layout
    write_run_file(dataset, tmp_path / DATASET_NAME)  # with those names (and a plan)
    assert (tmp_path / DATASET_NAME).read_bytes() == cold
    assert "coordinates" not in dataset["v"].attrs  # the dataset itself is left as it was
    assert read_raw((tmp_path / DATASET_NAME).read_bytes()).var_attrs["v"]["coordinates"] == (
        "label scale"
    )
    with xr.open_dataset(tmp_path / "xarray.nc", engine="netcdf4") as expected:
        xr.testing.assert_identical(open_run_file(tmp_path / DATASET_NAME), expected.load())


def test_a_variable_xarray_would_mask_or_scale_is_encoded_by_xarray_every_time():
    plain = xr.Dataset({"v": ("x", np.array([1.5, np.nan, 3.0]), {"units": "EUR"})})
    masked = plain.copy(deep=True)
    masked["v"].encoding = {"_FillValue": -9.0, "dtype": "f4"}
    runfile._PLAIN_ENCODINGS.clear()
    runfile._general_bytes(plain)
    assert len(runfile._PLAIN_ENCODINGS) == 1
    with_mask = read_raw(run_file_bytes(masked))
    assert with_mask.arrays["v"].dtype == np.float32
    np.testing.assert_array_equal(with_mask.arrays["v"], np.array([1.5, -9.0, 3.0], "f4"))


@settings(max_examples=40, deadline=None)
@given(datasets(), st.floats(0, 1, exclude_max=True))
def test_a_truncated_run_file_is_refused_not_misread(dataset, share):
    data = run_file_bytes(dataset)
    whole = read_raw(data)
    try:
        part = read_raw(data[: int(len(data) * share)])
    except ValueError:
        return
    # Only the last variable's padding was cut: every value is there.
    assert part.attrs.keys() == whole.attrs.keys()
    for name, values in whole.arrays.items():
        np.testing.assert_array_equal(part.arrays[name], values)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("runfile_sweep") / "sweep"
    result = small_sweep(root, "fund/strategy=none,uniform", "seed=0,1")
    assert result.returncode == 0, result.stderr
    return root


def test_a_sweep_job_writes_a_run_file(sweep):
    for dataset in sweep.rglob(DATASET_NAME):
        assert dataset.read_bytes()[:4] == MAGIC


def test_the_merge_of_run_files_is_the_merge_of_xarrays_netcdf4_files(sweep, tmp_path):
    """Runs written by `to_netcdf` (an older sweep: no checksum) merge to the same dataset."""
    older = tmp_path / "older"
    shutil.copytree(sweep, older)
    for record_file in older.rglob(RECORD_NAME):
        job = record_file.parent
        dataset = open_run(job / DATASET_NAME)
        (job / DATASET_NAME).unlink()
        dataset.to_netcdf(job / DATASET_NAME, engine="netcdf4")
        record = json.loads(record_file.read_text())
        record.pop("dataset")
        record_file.write_text(json.dumps(record))
    new, _ = collect_dataset(sweep, tmp_path / "new.nc")
    old, _ = collect_dataset(older, tmp_path / "old.nc")
    new.attrs["sweep_dir"] = old.attrs["sweep_dir"]
    xr.testing.assert_identical(new, old)
    for name, variable in old.variables.items():
        assert new[name].dtype == variable.dtype, name
