"""Fingerprints of whole runs: one SHA-256 per variable of each case's dataset.

The model's numbers must not change when its code is only made faster. The cases
cover the default world under several strategies, a small world shaped like the
national one, a posterior draw and a placebo fund. Regenerate the committed file
only when a change is *meant* to move the numbers:

    python -m tests.fingerprint > tests/data/fingerprint.json
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

CASES: dict[str, list[str]] = {
    "default uniform": ["fund/strategy=uniform"],
    "default concentrated seed 1": ["fund/strategy=concentrated", "seed=1"],
    "default maturity_matched seed 2": ["fund/strategy=maturity_matched", "seed=2"],
    "default structural_heavy 4.5 MEUR": [
        "fund/strategy=structural_heavy",
        "fund.budget_eur=4.5e6",
    ],
    "national-shaped": [
        "scenario=national",
        "scenario.n_territories=160",
        "scenario.n_organisations=40000",
        "seed=5",
    ],
    "posterior draw 3": ["calibrated=posterior", "draw=3", "fund/strategy=concentrated"],
    "placebo": ["fund.placebo=true", "seed=7"],
    "uncalibrated, monthly": [
        "calibrated=none",
        "scenario.steps_per_year=12",
        "scenario.years=4",
        "accounting.rmst_horizon_years=3",
    ],
}


def digest(values: np.ndarray) -> str:
    """SHA-256 of an array's dtype, shape and bytes."""
    array = np.ascontiguousarray(values)
    h = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    h.update(array.tobytes() if array.dtype != object else repr(array.tolist()).encode())
    return h.hexdigest()[:16]


def fingerprint(overrides: list[str]) -> dict[str, str]:
    """One digest per data variable and coordinate of the run's dataset."""
    from experiments.config.schema import load_config
    from simulation import run

    ds = run(load_config(overrides))
    return {name: digest(ds[name].values) for name in sorted(ds.variables)}


def main() -> None:
    """Print every case's fingerprint as JSON."""
    print(json.dumps({name: fingerprint(o) for name, o in CASES.items()}, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
