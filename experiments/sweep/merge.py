"""Merge a sweep's runs into one NetCDF file, streaming, at a few milliseconds a run.

Opening each run with xarray costs about 20 ms (decoding, indexes); reading its
arrays with the netCDF4 library directly costs about a third of that, and the
reads run in parallel processes. The merged file is laid out once, by xarray,
from the first run (so every variable keeps its encoding, units and
descriptions), with the swept dimensions unlimited; each run's arrays are then
written into their cell, one run at a time. Memory stays at a few runs whatever
the size of the sweep.

This is the fast path for runs of the same shape. A sweep that changes the
world's shape (the number of territories, the horizon) is merged by
`experiments.sweep.collect.combine` through xarray's outer join instead.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from experiments.process.progress import with_progress
from experiments.storage.files import NETCDF_ENGINE
from experiments.sweep.jobs import identity_problem

# Attributes that differ by run, kept as string variables over the swept dimensions.
PER_RUN_ATTRS = {
    "run_config": ("config_json", "Run configuration", "The run's full resolved config (JSON)"),
    "run_command": ("command", "Run command", "The command line that ran the job"),
}
PER_RUN = {name: attr for name, (attr, _, _) in PER_RUN_ATTRS.items()}
# Below this many runs, reading in the main process beats starting a pool.
POOL_THRESHOLD = 64


class ShapeMismatch(ValueError):
    """Runs of different shapes: the streaming merge cannot place them in one grid."""


class CollectRefused(ValueError):
    """A sweep folder that would merge a wrong number: refused, naming the folder."""


class ConfigMismatch(CollectRefused):
    """Runs made under configurations that differ beyond the swept keys."""


@dataclass
class RunFile:
    """One run to merge: its file, its values of the swept dimensions, its identity.

    Attributes:
        path: The run's dataset.
        position: Its value of each swept dimension.
        identity: Global attributes its dataset must hold ({name: value as text}):
            the seed, config hash and overrides its job's record names.
    """

    path: Path
    position: dict[str, object]
    identity: dict[str, str] = field(default_factory=dict)


def check_identity(job: Path, attrs: dict, identity: dict[str, str]) -> None:
    """Refuse a dataset whose attributes name another job than its folder's record.

    Args:
        job: The job's folder.
        attrs: The dataset's global attributes.
        identity: What they must say (`RunFile.identity`).

    Raises:
        CollectRefused: Naming the folder, the attribute and both values.
    """
    problem = identity_problem(attrs, identity)
    if problem is not None:
        msg = f"{job}: {problem}; re-run the sweep (alliance-run -m re-runs this job)"
        raise CollectRefused(msg)


def read_run(path: Path, names: tuple[str, ...]) -> tuple[dict, dict, dict] | str:
    """The raw arrays, attributes and dimension sizes of one run's file.

    Args:
        path: The run's `dataset.nc`.
        names: Variables to read.

    Returns:
        (arrays, attributes, sizes), or the reason the file cannot be read.
    """
    import netCDF4

    from experiments.sweep.runfile import MAGIC, read_arrays

    try:
        data = path.read_bytes()
        if data[: len(MAGIC)] == MAGIC:
            return read_arrays(data, names)
        with netCDF4.Dataset(path) as handle:
            handle.set_auto_mask(False)
            arrays = {name: handle.variables[name][...] for name in names}
            attrs = {key: handle.getncattr(key) for key in handle.ncattrs()}
            sizes = {name: len(dim) for name, dim in handle.dimensions.items()}
    except (OSError, KeyError, RuntimeError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return reason
    return arrays, attrs, sizes


def _read_star(item: tuple[Path, tuple[str, ...]]) -> tuple[dict, dict, dict] | str:
    return read_run(*item)


def _read_all(paths: list[Path], names: tuple[str, ...], workers: int) -> Iterator:
    """Each run's arrays, in order: in parallel processes for NetCDF-4 (HDF5) files only.

    A run file of this version's sweeps (CDF-5, `runfile`) is parsed in this
    process in a fraction of a millisecond, less than sending its arrays from
    another process would cost.
    """
    from experiments.sweep.runfile import MAGIC

    items = [(path, names) for path in paths]
    with paths[0].open("rb") as first:
        run_files = first.read(len(MAGIC)) == MAGIC
    if run_files or workers <= 1 or len(paths) < POOL_THRESHOLD:
        yield from map(_read_star, items)
        return
    from experiments.process.startup import init_worker, spawn_pool

    with spawn_pool(workers, init_worker, (__name__,)) as pool:
        yield from pool.imap(_read_star, items, chunksize=16)


def config_differences(
    reference: object, other: object, allowed: tuple[str, ...], prefix: str = ""
) -> list[str]:
    """Dotted keys whose values differ between two nested configs, outside `allowed` prefixes.

    Equal subtrees are compared as a whole (at C speed) and not descended into:
    runs of one sweep differ in a few keys of a config of a few hundred.
    """
    if reference == other:
        return []
    if not (isinstance(reference, dict) and isinstance(other, dict)):
        key = prefix.rstrip(".")
        return [] if any(key == p or key.startswith(f"{p}.") for p in allowed) else [key]
    keys = sorted(set(reference) | set(other))
    return [
        key
        for name in keys
        for key in config_differences(
            reference.get(name), other.get(name), allowed, f"{prefix}{name}."
        )
    ]


def merge_runs(
    runs: list[RunFile],
    coords: dict[str, list],
    output: Path,
    template: xr.Dataset,
    dim_attrs: dict[str, dict],
    allowed: tuple[str, ...],
    workers: int,
    shared_attrs: tuple[str, ...] = (),
) -> dict[Path, str]:
    """Stream every run into `output` (written atomically).

    Args:
        runs: The runs, with their positions.
        coords: Each swept dimension's values, in the merged order.
        output: The merged file.
        template: The first run, `mergeable` (per-run attributes as variables),
            with the merged global attributes.
        dim_attrs: Attributes of each swept dimension's coordinate.
        allowed: Config key prefixes that may differ between runs (the swept keys).
        workers: Reading processes.
        shared_attrs: Global attributes of the runs kept on the merge (every
            distinct value, joined with "; ").

    Returns:
        The runs that could not be read, with the reason.

    Raises:
        ShapeMismatch: A run's dimensions differ from the template's.
        ConfigMismatch: A run's config differs beyond the swept keys.
    """
    dims = list(coords)
    shape = tuple(len(coords[d]) for d in dims)
    gaps = int(np.prod(shape)) > len(runs)
    if gaps:  # cells without a run hold NaN, as an outer join gives
        template = template.map(lambda v: v.astype("f8") if v.dtype.kind in "iub" else v)
    layout = template.expand_dims({d: coords[d][:1] for d in dims})
    layout.encoding.pop("unlimited_dims", None)
    for dim in dims:
        layout[dim].attrs = dim_attrs.get(dim, {})
    names = tuple(name for name in template.data_vars if name not in PER_RUN)
    reference = json.loads(str(template["run_config"].item()))
    index = {d: {value: i for i, value in enumerate(coords[d])} for d in dims}
    temporary = output.with_name(f".{output.name}.tmp-{os.getpid()}")
    unreadable: dict[Path, str] = {}
    shared: dict[str, set[str]] = {key: set() for key in shared_attrs}
    written = np.zeros(shape, dtype=bool)
    try:
        with sized_like(layout, temporary, coords) as out:
            # In the merged file's order, so that neighbouring runs are written as one block.
            cells = {id(run): tuple(index[d][run.position[d]] for d in dims) for run in runs}
            runs = sorted(runs, key=lambda run: cells[id(run)])
            results = _read_all([run.path for run in runs], names, workers)
            pairs = zip(runs, results, strict=True)
            block = Block(out, names)
            for run, result in with_progress(pairs, len(runs), "merging", "run"):
                if isinstance(result, str):
                    unreadable[run.path.parent] = f"unreadable {run.path.name}: {result}"
                    continue
                arrays, attrs, sizes = result
                check_identity(run.path.parent, attrs, run.identity)
                _check_shape(run, sizes, template)
                differing = config_differences(
                    reference, json.loads(attrs.get("config_json", "{}")), allowed
                )
                if differing:
                    msg = (
                        f"{run.path.parent} was made under another configuration: "
                        f"{', '.join(differing[:5])} differ(s) from the other runs and is not "
                        "swept. Re-run the sweep (alliance-run -m re-runs the jobs whose "
                        "configuration changed) or collect the runs separately"
                    )
                    raise ConfigMismatch(msg)
                for key in shared_attrs:
                    if key in attrs:
                        shared[key].add(str(attrs[key]))
                cell = cells[id(run)]
                block.add(cell, arrays, attrs)
                written[cell] = True
            block.flush()
            for cell in itertools.product(*(range(n) for n in shape)):
                if not written[cell]:
                    _fill(out, cell, names)
            out.setncattr("runs", int(written.sum()))
            failed = int(out.getncattr("failed_runs")) + len(unreadable)
            out.setncattr("failed_runs", failed)
            for key, values in shared.items():
                if values:
                    out.setncattr(key, "; ".join(sorted(values)))
        os.replace(temporary, output)
    finally:
        temporary.unlink(missing_ok=True)
    return unreadable


class Block:
    """Runs of neighbouring cells (the last swept index +1 each), written at once.

    Writing one run costs about 0.15 ms per variable in netCDF4's slicing; a block
    of up to `size` runs pays it once. Each run's arrays are copied once, into
    buffers of the block's shape that every block reuses (in native byte order:
    a run file's arrays arrive as views of its big-endian bytes).
    """

    def __init__(self, out: object, names: tuple[str, ...], size: int = 64) -> None:
        self.out = out
        self.names = names
        self.size = size
        self.cells: list[tuple[int, ...]] = []
        self.attrs: list[dict] = []
        self.buffers: dict[str, np.ndarray] = {}

    def add(self, cell: tuple[int, ...], arrays: dict, attrs: dict) -> None:
        """Add a run; the block is written first if the run does not extend it."""
        if self.cells:
            last = self.cells[-1]
            extends = cell[:-1] == last[:-1] and cell[-1] == last[-1] + 1
            if not extends or len(self.cells) == self.size:
                self.flush()
        row = len(self.cells)
        for name in self.names:
            array = np.asarray(arrays[name])
            buffer = self.buffers.get(name)
            if buffer is None or buffer.shape[1:] != array.shape:
                dtype = array.dtype.newbyteorder("=") if array.dtype.kind in "iufb" else object
                buffer = self.buffers[name] = np.empty((self.size, *array.shape), dtype)
            buffer[row] = array
        self.cells.append(cell)
        self.attrs.append(attrs)

    def flush(self) -> None:
        """Write the block's runs into the file."""
        if not self.cells:
            return
        first, count = self.cells[0], len(self.cells)
        where = (*first[:-1], slice(first[-1], first[-1] + count))
        for name in self.names:
            self.out.variables[name][where] = self.buffers[name][:count]
        for name, attr in PER_RUN.items():
            values = np.array([str(a.get(attr, "")) for a in self.attrs], dtype=object)
            self.out.variables[name][where] = values
        self.cells, self.attrs = [], []


@contextmanager
def sized_like(layout: xr.Dataset, path: Path, coords: dict[str, list]) -> Iterator[object]:
    """A new NetCDF-4 file laid out as xarray writes `layout`, the swept dimensions full size.

    xarray writes the layout (one cell of the swept dimensions) to a scratch
    file, so that every variable keeps the dtype, fill value and attributes
    xarray gives it; the merged file is then declared from it with netCDF4:
    fixed dimensions in a fixed order (the same bytes for the same runs; xarray
    orders unlimited dimensions by a set), contiguous storage, no pre-fill
    (every cell is written), and the swept coordinates' values.

    Args:
        layout: The template with the swept dimensions of length 1.
        path: The file to create.
        coords: Each swept dimension's values.

    Yields:
        The open netCDF4 dataset, auto-masking off; closed on exit.
    """
    import netCDF4

    scratch = path.with_name(f".layout{path.name}")  # a temporary name, as the cleanup knows
    layout.to_netcdf(scratch, engine=NETCDF_ENGINE)
    try:
        with netCDF4.Dataset(scratch) as source, netCDF4.Dataset(path, "w") as out:
            out.set_fill_off()
            out.setncatts({key: source.getncattr(key) for key in source.ncattrs()})
            for name, dim in source.dimensions.items():
                out.createDimension(name, len(coords[name]) if name in coords else len(dim))
            for name, variable in source.variables.items():
                attrs = {key: variable.getncattr(key) for key in variable.ncattrs()}
                text = variable.datatype is str
                created = out.createVariable(
                    name,
                    str if text else variable.datatype,
                    variable.dimensions,
                    fill_value=attrs.pop("_FillValue", None),
                    contiguous=not text,
                )
                created.setncatts(attrs)
                created.set_auto_mask(False)
                if name in coords:
                    created[:] = np.asarray(coords[name], dtype=object if text else None)
                elif not set(variable.dimensions) & set(coords):
                    variable.set_auto_mask(False)
                    created[...] = variable[...]
        with netCDF4.Dataset(path, "a") as out:
            out.set_auto_mask(False)
            yield out
    finally:
        scratch.unlink(missing_ok=True)


def _check_shape(run: RunFile, sizes: dict[str, int], template: xr.Dataset) -> None:
    for dim, size in template.sizes.items():
        if sizes.get(dim) != size:
            msg = f"{run.path} has {dim} = {sizes.get(dim)}, the first run {size}"
            raise ShapeMismatch(msg)


def _fill(out: object, cell: tuple[int, ...], names: tuple[str, ...]) -> None:
    """Write the missing value into every variable of a cell without a run."""
    for name in names:
        variable = out.variables[name]
        shape = variable.shape[len(cell) :]
        text = variable.dtype is str
        variable[cell] = np.full(shape, "", dtype=object) if text else np.full(shape, np.nan)
    for name in PER_RUN:
        out.variables[name][cell] = ""
