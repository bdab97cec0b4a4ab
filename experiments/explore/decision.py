"""What a fund evaluator decides with: the net social benefit per seed, and strategies compared.

The explorer puts these figures first. They are the appraisal's own
(`experiments.appraisal`), computed on the explorer's seeds rather than redefined:

- `outcomes` is `experiments.appraisal.states.outcomes` with the seeds as the
  states of the world: per seed, the net social benefit (extra social value minus
  the fund's money paid minus the extra private resources used), the benefit-cost
  ratio, and the gross figures (extra value, value per fund euro);
- `versus` compares two strategies seed by seed. They ran on the same seeds, so the
  same territories, organisations and random numbers (common random numbers): the
  difference of their net social benefits in each seed is the effect of the change
  of strategy alone. The probability of beating the baseline is the appraisal's
  probability of being best between the two (`robustness.robustness`, ties
  shared); against the no-fund world it is the share of seeds where the net social
  benefit is positive.

Intervals are the 5-95 % quantiles over the seeds, as everywhere in the explorer
(`summaries.band`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import xarray as xr

from experiments.appraisal import robustness, states
from experiments.explore.choice import Choice
from experiments.explore.summaries import band

# The no-fund world as a baseline (any other baseline is a strategy preset).
NO_FUND = "no-fund world"

# Two net benefits closer than this (EUR) tie, as in the appraisal's probability of being best.
TIE_EUR = 1e-6

# The headline figures, in the order shown: variable of `outcomes`, label, scale, unit.
HEADLINE = {
    "net_social_benefit_eur": ("Net social benefit", 1e-6, "MEUR"),
    "benefit_cost_ratio": ("Per euro used: the benefit-cost ratio", 1.0, "EUR"),
    "extra_value_eur": ("Extra social value (gross)", 1e-6, "MEUR"),
    "value_per_fund_eur": ("Per fund euro (gross)", 1.0, "EUR"),
    "paid_eur": ("Fund money paid", 1e-6, "MEUR"),
    "extra_private_resources_eur": ("Partners' extra resources", 1e-6, "MEUR"),
}


@dataclass(frozen=True)
class Interval:
    """A mean over the seeds and its 5-95 % range over them.

    Attributes:
        mean: Mean over the seeds (NaN when no seed has a value); for a ratio, the
            ratio of the means (`states.pooled_ratio`).
        low: 5 % quantile over the seeds.
        high: 95 % quantile over the seeds.
    """

    mean: float
    low: float
    high: float

    def scaled(self, factor: float) -> Interval:
        """The same interval times a factor (EUR to MEUR, say)."""
        return Interval(self.mean * factor, self.low * factor, self.high * factor)


@dataclass(frozen=True)
class Versus:
    """A strategy against a baseline, seed by seed.

    Attributes:
        baseline: The baseline's name (`NO_FUND` or a strategy's label).
        difference: The net social benefit minus the baseline's, in EUR, per seed
            summarised (paired: the same seeds).
        probability: The share of seeds where the strategy's net social benefit is
            higher than the baseline's (ties count half).
        wins: The number of seeds where it is strictly higher.
        seeds: The number of seeds compared.
        itself: Whether the baseline is the strategy itself (every seed ties).
    """

    baseline: str
    difference: Interval
    probability: float
    wins: int
    seeds: int
    itself: bool = False

    @property
    def enough(self) -> bool:
        """Whether there are as many seeds as the appraisal asks before choosing."""
        return self.seeds >= robustness.MIN_STATES


def interval(values: xr.DataArray) -> Interval:
    """Mean and 5-95 % range over the `seed` dimension of a per-seed array."""
    summary = band(values)
    return Interval(*(float(summary[stat]) for stat in ("mean", "low", "high")))


def outcomes(dataset: xr.Dataset) -> xr.Dataset:
    """The appraisal's value-for-money quantities of every seed of an explorer result.

    Args:
        dataset: The seeds' dataset (`compute.combine`).

    Returns:
        `states.outcomes` with its one arm dropped and `state` named `seed`
        (the seeds' values as coordinate).
    """
    # The settings shared by every run (placebo, discounting) are read from one
    # run's config; the seeds' configs differ in their seed only.
    first = dataset.attrs.get("config_json_per_seed", "").split("\n")[0]
    with_config = dataset.assign_attrs(config_json=first) if first else dataset
    result = states.outcomes(with_config).isel(arm=0, drop=True)
    return result.rename(state="seed").assign_coords(seed=dataset.seed.values)


def headline(per_seed: xr.Dataset) -> dict[str, Interval]:
    """The headline figures of one strategy, in their display units (`HEADLINE`).

    Args:
        per_seed: `outcomes(dataset)`.

    Returns:
        Per variable of `HEADLINE`, its interval over the seeds, scaled; a ratio's
        mean is its pooled ratio over the seeds (`states.pooled_ratio`).
    """
    figures = {}
    for name, (_, scale, _) in HEADLINE.items():
        figure = interval(per_seed[name])
        if name in states.RATIOS and np.isfinite(figure.mean):  # the ratio of the means
            figure = Interval(states.pooled_ratio(per_seed, name), figure.low, figure.high)
        figures[name] = figure.scaled(scale)
    return figures


def nothing_like(per_seed: xr.Dataset) -> xr.Dataset:
    """The no-fund world's outcomes: no extra value and no extra resource, in every seed."""
    return xr.zeros_like(per_seed[["extra_value_eur", "paid_eur", "extra_private_resources_eur"]])


def versus(per_seed: xr.Dataset, baseline: xr.Dataset | None, name: str = NO_FUND) -> Versus:
    """A strategy's net social benefit against a baseline's, seed by seed.

    Args:
        per_seed: `outcomes` of the strategy.
        baseline: `outcomes` of the baseline on the same seeds, or None for the
            no-fund world.
        name: The baseline's name, for the page.

    Returns:
        The paired comparison.

    Raises:
        ValueError: The two did not run on the same seeds.
    """
    other = nothing_like(per_seed) if baseline is None else baseline
    if list(per_seed.seed.values) != list(other.seed.values):
        msg = "a strategy and its baseline are compared on the same seeds only"
        raise ValueError(msg)
    variables = ["extra_value_eur", "paid_eur", "extra_private_resources_eur"]
    both = xr.concat(
        [per_seed[variables], other[variables]], dim="arm", coords="minimal", compat="override"
    )
    both = both.assign_coords(arm=["strategy", "baseline"]).rename(seed="state")
    table = robustness.robustness(both).set_index("arm")
    net = robustness.net_benefit(both)
    difference = (net.sel(arm="strategy") - net.sel(arm="baseline")).rename(state="seed")
    return Versus(
        baseline=name,
        difference=interval(difference),
        probability=float(table.loc["strategy", "probability_best"]),
        wins=int((difference > TIE_EUR).sum()),
        seeds=int(difference.sizes["seed"]),
    )


def baseline_choice(choice: Choice, strategy: str) -> Choice:
    """The baseline of a choice: another strategy preset in the same world and fund size.

    The baseline keeps the world (scenario, parameters, draw, discounting), the
    seeds and the fund's budget and ticket, and takes the preset's own shares and
    targets, with a fund that is not a placebo.

    Args:
        choice: The controls.
        strategy: A strategy preset.

    Returns:
        The baseline's controls.
    """
    return dataclasses.replace(
        choice,
        strategy=strategy,
        shares=None,
        engineering_target=None,
        innovation_target=None,
        placebo=False,
    )


def world_of(choice: Choice) -> tuple:
    """What two choices must share to be compared seed by seed.

    The world (scenario), the parameter set and its draw, the discounting and the
    seeds: then both ran on the same territories, organisations and random numbers,
    and their present values are on the same basis.
    """
    return (choice.scenario, choice.parameters, choice.draw, choice.discounting, choice.n_seeds)


def describe_world(choice: Choice, shown: Choice | None = None) -> str:
    """The world of a choice in a few words ("national world, 1 seed").

    Args:
        choice: The choice to describe.
        shown: The choice shown now: what differs from it is named even where it is
            the default ("default discounting").

    Returns:
        The scenario, the parameter set and the discounting where they are not the
        defaults or differ from `shown`, and the number of seeds.
    """
    default = Choice()
    named = [default] if shown is None else [default, shown]
    seeds = f"{choice.n_seeds} seed{'s' if choice.n_seeds > 1 else ''}"
    parts = [f"{choice.scenario} world"]
    if any((choice.parameters, choice.draw) != (c.parameters, c.draw) for c in named):
        parameters = {"none": "raw assumptions", "default": "calibrated parameters"}
        parts.append(parameters.get(choice.parameters, f"posterior draw {choice.draw}"))
    if any(choice.discounting != c.discounting for c in named):
        parts.append(f"{choice.discounting} discounting")
    return ", ".join([*parts, seeds])
