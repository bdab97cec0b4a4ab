"""Write and read one run's dataset with each NetCDF-4 engine xarray offers here, and as a run file.

    python benchmarks/netcdf_engines.py

h5netcdf is no longer a dependency: install it (`pip install h5netcdf`) to compare.
Prints milliseconds per write and per read (best of 10), and whether repeated
writes give the same bytes. The last row is a sweep job's own writer
(`experiments.sweep.runfile`: CDF-5 without HDF5), read as the merge reads it
(`read_raw`, arrays in native byte order).
"""

from __future__ import annotations

import hashlib
import importlib.util
import tempfile
import time
from pathlib import Path

import xarray as xr

from experiments.sweep.runfile import read_raw, write_run_file
from simulation import RunConfig, run


def main() -> None:
    """Time each available engine on the default run's dataset."""
    dataset = run(RunConfig(seed=1))
    folder = Path(tempfile.mkdtemp())
    print("| engine | write (ms) | read (ms) | same bytes every write |")
    print("|---|---:|---:|---|")
    for engine, module in (("netcdf4", "netCDF4"), ("h5netcdf", "h5netcdf")):
        if importlib.util.find_spec(module) is None:
            print(f"| {engine} | not installed | | |")
            continue
        writes, reads, digests = [], [], set()
        for i in range(10):
            path = folder / f"{engine}{i}.nc"
            start = time.perf_counter()
            dataset.to_netcdf(path, engine=engine)
            writes.append(time.perf_counter() - start)
            start = time.perf_counter()
            with xr.open_dataset(path, engine=engine) as opened:
                opened.load()
            reads.append(time.perf_counter() - start)
            digests.add(hashlib.sha256(path.read_bytes()).hexdigest())
        same = "yes" if len(digests) == 1 else "no"
        print(f"| {engine} | {min(writes) * 1e3:.1f} | {min(reads) * 1e3:.1f} | {same} |")
    writes, reads, digests = [], [], set()
    for i in range(10):
        path = folder / f"runfile{i}.nc"
        start = time.perf_counter()
        write_run_file(dataset, path)
        writes.append(time.perf_counter() - start)
        start = time.perf_counter()
        read_raw(path.read_bytes())
        reads.append(time.perf_counter() - start)
        digests.add(hashlib.sha256(path.read_bytes()).hexdigest())
    same = "yes" if len(digests) == 1 else "no"
    print(f"| run file (CDF-5) | {min(writes) * 1e3:.1f} | {min(reads) * 1e3:.1f} | {same} |")


if __name__ == "__main__":
    main()
