"""Global sensitivity of the premium to the calibrated parameters, with SALib.

    alliance-run -m +experiment=sensitivity              # one job per row of the design
    alliance-collect multirun/sensitivity                # a `sample` dimension
    alliance-report multirun/sensitivity/collected.nc    # indices: table, figure, verdict

The design is a SALib sample over the free parameters and bounds of a calibration
(`configs/calibration/default.yaml`, one source for both): Sobol indices from
Saltelli's scheme (first-order and total), or Morris elementary effects. Hydra's
sweeper makes only Cartesian products, so the sweep runs `sensitivity.sample` over
`0 .. rows - 1`; each job regenerates the same design from its seed and runs its
row. The analysis regenerates it once more and checks it against the parameter
values every run recorded in its config.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # imported where a design's results are read, not at start-up
    import pandas as pd
    import xarray as xr

from calibration.config import (
    CalibrationSettings,
    FreeParameter,
    check_free_parameters,
    with_parameters,
)
from simulation.config import ConfigError, RunConfig

METHODS: tuple[str, ...] = ("sobol", "morris")
# Premium figures whose sensitivity is analysed, with their labels.
OUTPUTS: dict[str, str] = {
    "observed_frugality": "observed frugality (x)",
    "observed_durability": "observed durability (x)",
    "observed_leverage": "observed leverage (x)",
    "causal_leverage": "causal leverage (x)",
    "extra_value_meur": "extra social value (MEUR, present value)",
}


@dataclass
class SensitivityDesign:
    """A SALib design over free parameters, and the row one job runs.

    Attributes:
        method: `sobol` (Saltelli sampling, first-order and total indices) or
            `morris` (elementary effects).
        base_samples: Sobol: the base sample size N, a power of two; Morris: the
            number of trajectories.
        levels: Morris grid levels.
        design_seed: Seed of the design (scrambling, trajectories) and of the
            bootstrap confidence intervals.
        sample: Row of the design this job runs.
        problem: The calibration whose free parameters and bounds span the design
            (only `parameters` is used).
    """

    method: str = "sobol"
    base_samples: int = 64
    levels: int = 4
    design_seed: int = 0
    sample: int = 0
    problem: CalibrationSettings = field(default_factory=CalibrationSettings)

    @property
    def parameters(self) -> dict[str, FreeParameter]:
        """Free parameters by dotted path, with their bounds."""
        return self.problem.parameters

    @property
    def rows(self) -> int:
        """Number of rows (runs per seed) of the design."""
        return design_size(self.method, self.base_samples, len(self.parameters))

    def validate(self, config: RunConfig, key: str = "sensitivity") -> SensitivityDesign:
        """Check the method, sizes, parameters and the row against `config`.

        Returns:
            This design.

        Raises:
            ConfigError: Naming the first bad key and what it allows.
        """
        if self.method not in METHODS:
            msg = f"invalid config: {key}.method = {self.method!r}; allowed: {list(METHODS)}"
            raise ConfigError(msg)
        n = self.base_samples
        if self.method == "sobol" and (n < 2 or n & (n - 1)):
            msg = f"invalid config: {key}.base_samples = {n}; allowed: a power of two >= 2"
            raise ConfigError(msg)
        if n < 2:
            msg = f"invalid config: {key}.base_samples = {n}; allowed: an integer >= 2"
            raise ConfigError(msg)
        if self.levels < 2 or self.levels % 2:
            msg = f"invalid config: {key}.levels = {self.levels}; allowed: an even integer >= 2"
            raise ConfigError(msg)
        check_free_parameters(config, self.parameters, f"{key}.problem.parameters")
        if not 0 <= self.sample < self.rows:
            msg = (
                f"invalid config: {key}.sample = {self.sample}; allowed: 0 to {self.rows - 1} "
                f"(the {self.method} design with base_samples={n} and "
                f"{len(self.parameters)} parameters has {self.rows} rows)"
            )
            raise ConfigError(msg)
        return self

    def description(self) -> dict[str, object]:
        """What regenerates the design: method, sizes, seed and bounds (not the row)."""
        return {
            "method": self.method,
            "base_samples": self.base_samples,
            "levels": self.levels,
            "design_seed": self.design_seed,
            "parameters": {p: [b.lower, b.upper] for p, b in self.parameters.items()},
        }


def design_size(method: str, base_samples: int, n_parameters: int) -> int:
    """Rows of a design: N (D + 2) for Sobol without second order, N (D + 1) for Morris."""
    return base_samples * (n_parameters + (2 if method == "sobol" else 1))


def _problem(parameters: dict[str, list[float]]) -> dict[str, object]:
    return {
        "num_vars": len(parameters),
        "names": list(parameters),
        "bounds": [list(bounds) for bounds in parameters.values()],
    }


def design_matrix(description: dict) -> np.ndarray:
    """The design's parameter values, one row per sample.

    Args:
        description: `SensitivityDesign.description()` (or its JSON, parsed).

    Returns:
        Array of shape (rows, parameters), columns in the order of the parameters.
    """
    problem = _problem(description["parameters"])
    if description["method"] == "sobol":
        from SALib.sample import sobol as sobol_sample  # SALib imports scipy.stats: 0.4 s

        return sobol_sample.sample(
            problem,
            description["base_samples"],
            calc_second_order=False,
            seed=description["design_seed"],
        )
    from SALib.sample import morris as morris_sample

    return morris_sample.sample(
        problem,
        description["base_samples"],
        num_levels=description["levels"],
        seed=description["design_seed"],
    )


def sample_config(config: RunConfig, design: SensitivityDesign) -> RunConfig:
    """`config` with the design's free parameters set to the job's row.

    Args:
        config: The run configuration (not modified).
        design: The validated design, `sample` naming the row.

    Returns:
        The configuration to run.
    """
    row = design_matrix(design.description())[design.sample]
    return with_parameters(config, dict(zip(design.parameters, row, strict=True)))


def outputs(dataset: xr.Dataset) -> xr.Dataset:
    """The analysed premium figures of a merged sweep, averaged over seeds.

    Args:
        dataset: A merged sensitivity sweep, with `sample` and `seed` dimensions.

    Returns:
        One variable per output, over `sample`.
    """
    import xarray as xr

    treated = dataset.sel(world="treated", drop=True)
    counterfactual = dataset.sel(world="counterfactual", drop=True)
    observed = {"view": "observed"}
    values = xr.Dataset(
        {
            "observed_frugality": dataset.premium_frugality.sel(observed, drop=True),
            "observed_durability": dataset.premium_durability.sel(observed, drop=True),
            "observed_leverage": dataset.premium_leverage.sel(
                view="observed", measure="value", drop=True
            ),
            "causal_leverage": dataset.premium_leverage.sel(
                view="causal", measure="value", drop=True
            ),
            "extra_value_meur": (treated.value_created_pv - counterfactual.value_created_pv) / 1e6,
        }
    )
    return values.mean("seed").compute()


def recorded_matrix(dataset: xr.Dataset, description: dict) -> np.ndarray:
    """The free parameters' values each run recorded in its config, one row per sample.

    Args:
        dataset: A merged sweep with a `run_config` variable (JSON per run).
        description: The design description.

    Returns:
        Array of shape (samples, parameters).
    """
    configs = dataset.run_config.isel(seed=0).values
    rows = []
    for text in configs:
        node = json.loads(str(text))
        row = []
        for path in description["parameters"]:
            value = node
            for part in path.split("."):
                value = value[part]
            row.append(value)
        rows.append(row)
    return np.array(rows, dtype=float)


def analyse(dataset: xr.Dataset) -> pd.DataFrame:
    """Sensitivity indices of every output to every free parameter.

    The design is regenerated from the description the runs carry, and checked
    against the parameter values they recorded, before any index is computed.

    Args:
        dataset: A merged sensitivity sweep (`alliance-collect`).

    Returns:
        One row per (output, parameter). Sobol: `S1`, `S1_conf`, `ST`, `ST_conf`;
        Morris: `mu_star`, `mu_star_conf`, `sigma`. `influence` is `ST` or
        `mu_star` normalised by the output's largest, for ranking.

    Raises:
        ValueError: Samples are missing, or the runs do not match the design.
    """
    import pandas as pd

    description = json.loads(dataset.attrs["sensitivity_design"])
    matrix = design_matrix(description)
    present = dataset["sample"].values
    missing = sorted(set(range(len(matrix))) - {int(s) for s in present})
    if missing:
        msg = (
            f"{len(missing)} of {len(matrix)} design rows have no finished run "
            f"(first: sample {missing[0]}); re-run the sweep to complete it"
        )
        raise ValueError(msg)
    dataset = dataset.sortby("sample")
    if not np.allclose(recorded_matrix(dataset, description), matrix, rtol=1e-12, atol=0):
        msg = "the runs' parameter values do not match the design they name"
        raise ValueError(msg)
    problem = _problem(description["parameters"])
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    values = outputs(dataset)
    rows = []
    for output in OUTPUTS:
        y = values[output].values.astype(float)
        if not np.all(np.isfinite(y)):
            continue  # e.g. durability with no backed project: no index to compute
        seed = description["design_seed"]
        if description["method"] == "sobol":
            result = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
            columns = ("S1", "S1_conf", "ST", "ST_conf")
            influence = np.asarray(result["ST"])
        else:
            result = morris_analyze.analyze(
                problem, matrix, y, num_levels=description["levels"], seed=seed
            )
            columns = ("mu_star", "mu_star_conf", "sigma")
            influence = np.asarray(result["mu_star"])
        top = influence.max()
        for i, name in enumerate(problem["names"]):
            row: dict[str, object] = {"output": output, "parameter": name}
            row.update({c: float(result[c][i]) for c in columns})
            row["influence"] = float(influence[i] / top) if top > 0 else math.nan
            rows.append(row)
    return pd.DataFrame(rows)
