"""CF 1.11 and ACDD 1.3 for published data: calendar time, money, and discovery metadata.

A run's dataset counts time in steps and money in EUR, which is what the model and
the analyses need. Published data follow the conventions a repository's checkers
read:

- **Time.** `time` becomes calendar dates: the end of each step from
  `scenario.start_date`, encoded as "days since <start date>" on the standard
  calendar, with `standard_name = "time"` and bounds (`time_bnds`, the start and end
  of each step). Flows over a step (value created, resources, spending) carry
  `cell_methods = "time: sum"`; states at the step's end carry "time: point". The
  step index stays as the coordinate `step`.
- **Money.** UDUNITS, the unit system of CF, has no currency: "EUR" is not a CF
  unit. Money variables get `units = "1"` with `currency = "EUR"` and
  `price_base_year` (the start year: values are present values at the start), the
  practice of energy-model datasets (openENTRANCE, IAMC). The alternative, a unit
  string such as "EUR" kept as is, fails a strict CF check; a made-up UDUNITS alias
  would mislead.
- **ACDD.** `coverage_content_type` on every variable; `time_coverage_start`, `_end`,
  `_duration` and `_resolution`; `id`, `naming_authority`, `processing_level` and
  `standard_name_vocabulary`. The model has no geography, so no `geospatial_*`
  attribute: the dataset card says so.

Everything here depends on the data and the metadata only, so the same runs give
the same bytes.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import xarray as xr

from experiments.appraisal.states import first_config

STANDARD_NAME_VOCABULARY = "CF Standard Name Table v84"
# Variables kept as information about the runs rather than model results.
AUXILIARY = {"run_config", "run_command", "size_class"}
ACDD_GLOBAL = (
    "title",
    "summary",
    "keywords",
    "license",
    "id",
    "naming_authority",
    "processing_level",
    "standard_name_vocabulary",
    "time_coverage_start",
    "time_coverage_end",
    "time_coverage_duration",
    "time_coverage_resolution",
    "creator_name",
    "publisher_name",
)


def step_length(steps_per_year: int) -> pd.DateOffset:
    """One step as a calendar offset: whole months when they divide the year, else days."""
    if 12 % steps_per_year == 0:
        return pd.DateOffset(months=12 // steps_per_year)
    return pd.DateOffset(days=round(365.25 / steps_per_year))


def iso_duration(offset: pd.DateOffset) -> str:
    """An offset as an ISO 8601 duration (P3M, P10Y, P73D)."""
    months = getattr(offset, "months", 0) + 12 * getattr(offset, "years", 0)
    if months:
        years, rest = divmod(months, 12)
        return "P" + (f"{years}Y" if years else "") + (f"{rest}M" if rest else "")
    return f"P{offset.days}D"


def cf_time(data: xr.Dataset) -> xr.Dataset:
    """`time` as calendar dates with bounds, the step index kept as `step`."""
    scenario = first_config(data).get("scenario", {})
    start = pd.Timestamp(scenario.get("start_date", "2020-01-01"))
    step = step_length(int(scenario.get("steps_per_year", 4)))
    steps = data["time"].values.astype(int)  # 1..n: the end of each step
    ends = pd.DatetimeIndex([start + step * int(i) for i in steps])
    starts = pd.DatetimeIndex([start + step * (int(i) - 1) for i in steps])
    data = data.rename({"time": "step"}).swap_dims({"step": "time"})
    data = data.assign_coords(time=("time", ends.values)).set_coords("step")
    data["step"].attrs = {
        "units": "1",
        "long_name": "Step",
        "description": "Index of the step (one quarter by default); time is its end",
    }
    data["time"].attrs = {
        "standard_name": "time",
        "long_name": "End of the step",
        "axis": "T",
        "bounds": "time_bnds",
        "units_metadata": "leap_seconds: none",
    }
    data["time"].encoding = {
        "units": f"days since {start.date().isoformat()}",
        "calendar": "standard",
        "dtype": "float64",
        "_FillValue": None,  # CF: a coordinate has no missing values
    }
    # CF: bounds carry no attributes of their own but those they share with `time`.
    data["time_bnds"] = xr.DataArray(
        np.stack([starts.values, ends.values], axis=1), dims=("time", "nv")
    )
    data["time_bnds"].encoding = dict(data["time"].encoding)
    for name in list(data.data_vars):
        variable = data[name]
        if "time" in variable.dims and name != "time_bnds":
            flow = variable.attrs.get("units", "").startswith("EUR")
            variable.attrs["cell_methods"] = "time: sum" if flow else "time: point"
            # CF's recommended order puts the other dimensions left of time.
            data[name] = variable.transpose(*[d for d in variable.dims if d != "time"], "time")
    return data


def cf_money(data: xr.Dataset, base_year: int) -> xr.Dataset:
    """Money variables as CF-valid `units = "1"` with `currency` and `price_base_year`."""
    for variable in data.variables.values():
        if str(variable.attrs.get("units", "")).startswith("EUR"):
            variable.attrs["units"] = "1"
            variable.attrs["currency"] = "EUR"
            variable.attrs["price_base_year"] = base_year
    return data


def coverage_content_types(data: xr.Dataset) -> xr.Dataset:
    """ACDD `coverage_content_type` on every variable and coordinate."""
    for name, variable in data.variables.items():
        if name in AUXILIARY:
            kind = "auxiliaryInformation"
        elif name in data.coords or name == "time_bnds":
            kind = "coordinate"
        else:
            kind = "modelResult"
        variable.attrs["coverage_content_type"] = kind
    return data


def content_id(data: xr.Dataset) -> str:
    """A deterministic identifier of the data: a hash of every run's resolved config."""
    configs = (
        sorted(str(t) for t in np.ravel(data["run_config"].values) if t)
        if "run_config" in data
        else [data.attrs.get("config_json", "")]
    )
    digest = hashlib.sha256("\n".join(configs).encode()).hexdigest()[:20]
    return f"alliance-premium-{digest}"


def apply_conventions(data: xr.Dataset, doi: str = "") -> xr.Dataset:
    """The data with CF time and money, and the ACDD attributes this module adds.

    Args:
        data: Published data (global attributes from the metadata already set).
        doi: The deposit's DOI, if it has one: then the `id`, under `org.doi`.

    Returns:
        A new dataset.
    """
    data = data.copy()
    config = first_config(data)
    start = pd.Timestamp(config.get("scenario", {}).get("start_date", "2020-01-01"))
    data = coverage_content_types(cf_money(cf_time(data), start.year))
    scenario = config.get("scenario", {})
    step = step_length(int(scenario.get("steps_per_year", 4)))
    # ACDD: the times of the first and last data points (step ends; bounds give the rest).
    times = pd.DatetimeIndex(data["time"].values)
    months = (times[-1].year - times[0].year) * 12 + times[-1].month - times[0].month
    data.attrs.update(
        {
            "id": doi or content_id(data),
            "naming_authority": "org.doi" if doi else "alliance-premium",
            "processing_level": "Model output: agent-based simulation, not observations",
            "standard_name_vocabulary": STANDARD_NAME_VOCABULARY,
            "time_coverage_start": times[0].date().isoformat(),
            "time_coverage_end": times[-1].date().isoformat(),
            "time_coverage_duration": iso_duration(pd.DateOffset(months=months)),
            "time_coverage_resolution": iso_duration(step),
        }
    )
    return data


def convention_problems(data: xr.Dataset) -> list[str]:
    """What a CF or ACDD checker would flag in published data, as sentences (empty: none).

    Checks the points this project is responsible for: calendar time with bounds and
    cell methods, CF-valid units (no currency as a unit), `coverage_content_type`
    everywhere, and the ACDD global attributes.
    """
    problems = []
    for name in ACDD_GLOBAL:
        if not str(data.attrs.get(name, "")).strip():
            problems.append(f"global attribute {name} is missing (ACDD 1.3)")
    time = data.get("time")
    if time is None or time.attrs.get("standard_name") != "time":
        problems.append("time has no standard_name = time (CF 1.11)")
    elif time.attrs.get("bounds") not in data:
        problems.append("time has no bounds variable (CF 1.11, cell boundaries)")
    elif not np.issubdtype(time.dtype, np.datetime64):
        problems.append("time is not a calendar time (CF units 'days since ...')")
    for name, variable in data.variables.items():
        units = str(variable.attrs.get("units", ""))
        if units.startswith("EUR"):
            problems.append(f"variable {name} has units {units!r}, not a UDUNITS unit (CF)")
        if "coverage_content_type" not in variable.attrs:
            problems.append(f"variable {name} has no coverage_content_type (ACDD 1.3)")
        if name != "time_bnds" and "time" in variable.dims and name not in data.coords:
            if "cell_methods" not in variable.attrs:
                problems.append(f"variable {name} has no cell_methods over time (CF)")
    return problems
