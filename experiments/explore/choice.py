"""What the explorer's controls choose, as the override strings `alliance-run` takes.

A `Choice` is the whole state of the controls. It becomes the same override strings
a user would type, so the explorer composes its configurations exactly as the
command line does (`experiments.load_config`), and `command()` is the one line
that reproduces what the page shows, number for number.
"""

from __future__ import annotations

import dataclasses
import shlex
from dataclasses import dataclass
from pathlib import Path

import yaml

from experiments.config.schema import CONFIG_DIR
from simulation.config import TARGETS


def options(group: str) -> tuple[str, ...]:
    """The presets of a config group (the YAML files of `configs/<group>/`), sorted."""
    return tuple(sorted(path.stem for path in (Path(CONFIG_DIR) / group).glob("*.yaml")))


def default_option(group: str) -> str:
    """The preset `alliance-run` takes for a config group that the command line leaves alone.

    Read from the defaults lists: `configs/config.yaml` for a top-level group,
    the parent's default file for a nested one (`fund/strategy` in `fund/default.yaml`).
    """
    parent, _, name = group.rpartition("/")
    primary = Path(CONFIG_DIR) / (f"{parent}/{default_option(parent)}" if parent else "config")
    for entry in yaml.safe_load(primary.with_suffix(".yaml").read_text())["defaults"]:
        if isinstance(entry, dict) and name in entry:
            return entry[name]
    msg = f"the config group {group!r} has no default in {primary}.yaml"
    raise KeyError(msg)


def descriptions(group: str) -> dict[str, str]:
    """Each preset's one-line `description` (empty where its file has none)."""
    folder = Path(CONFIG_DIR) / group
    return {
        name: str(
            (yaml.safe_load((folder / f"{name}.yaml").read_text()) or {}).get("description", "")
        )
        for name in options(group)
    }


# What the command line gets when a control is left alone: no override at all.
GROUPS = ("fund/strategy", "scenario", "accounting", "calibrated")
DEFAULTS = {group: default_option(group) for group in GROUPS}
STRATEGIES = options("fund/strategy")
STRATEGY_DESCRIPTIONS = descriptions("fund/strategy")
SCENARIOS = options("scenario")
DISCOUNTING = options("accounting")
TARGETING = TARGETS
# The parameter sets: the calibrated posterior mode, the raw assumptions, one draw.
PARAMETER_SETS = ("default", "none", "posterior")
INSTRUMENTS = ("engineering", "innovation", "structural")
MAX_SEEDS = 10


@dataclass(frozen=True)
class Choice:
    """The state of the explorer's controls.

    A field left at `None` keeps the value of the chosen preset (the strategy's
    shares and targets, the fund's budget and ticket), so the command line stays
    as short as what the user changed.

    Attributes:
        strategy: A preset of `configs/fund/strategy/`.
        budget_eur: The fund's budget, or None for the default.
        ticket_eur: One innovation grant, or None for the default.
        shares: Engineering, innovation and structural shares, or None for the
            strategy's own.
        engineering_target: Who gets engineering grants, or None for the strategy's.
        innovation_target: Who gets innovation grants, or None for the strategy's.
        scenario: A preset of `configs/scenario/`.
        discounting: A preset of `configs/accounting/`.
        parameters: `default` (calibrated), `none` (raw assumptions) or `posterior`.
        draw: The posterior draw, with `parameters="posterior"`.
        placebo: A fund that selects and pays but changes nothing.
        n_seeds: Seeds 0 to n_seeds - 1.
    """

    strategy: str = DEFAULTS["fund/strategy"]
    budget_eur: float | None = None
    ticket_eur: float | None = None
    shares: tuple[float, float, float] | None = None
    engineering_target: str | None = None
    innovation_target: str | None = None
    scenario: str = DEFAULTS["scenario"]
    discounting: str = DEFAULTS["accounting"]
    parameters: str = DEFAULTS["calibrated"]
    draw: int = 0
    placebo: bool = False
    n_seeds: int = 5

    @property
    def seeds(self) -> list[int]:
        """The seeds the explorer runs."""
        return list(range(self.n_seeds))

    def overrides(self) -> list[str]:
        """The override strings of everything but the seed, in a fixed order."""
        out = []
        if self.scenario != DEFAULTS["scenario"]:
            out.append(f"scenario={self.scenario}")
        if self.strategy != DEFAULTS["fund/strategy"]:
            out.append(f"fund/strategy={self.strategy}")
        if self.budget_eur is not None:
            out.append(f"fund.budget_eur={_number(self.budget_eur)}")
        if self.ticket_eur is not None:
            out.append(f"fund.ticket_eur={_number(self.ticket_eur)}")
        if self.shares is not None:
            out += [
                f"fund.strategy.shares.{name}={_number(share)}"
                for name, share in zip(INSTRUMENTS, self.shares, strict=True)
            ]
        if self.engineering_target is not None:
            out.append(f"fund.strategy.engineering_target={self.engineering_target}")
        if self.innovation_target is not None:
            out.append(f"fund.strategy.innovation_target={self.innovation_target}")
        if self.discounting != DEFAULTS["accounting"]:
            out.append(f"accounting={self.discounting}")
        if self.parameters != DEFAULTS["calibrated"]:
            out.append(f"calibrated={self.parameters}")
        if self.parameters == "posterior":
            out.append(f"draw={self.draw}")
        if self.placebo:
            out.append("fund.placebo=true")
        return out

    def run_overrides(self, seed: int) -> list[str]:
        """The override strings of one seed's run."""
        return [f"seed={seed}", *self.overrides()]

    def command(self) -> str:
        """The one `alliance-run` line that reproduces what the explorer shows."""
        sweep = ["-m"] if self.n_seeds > 1 else []
        seeds = ",".join(map(str, self.seeds))
        return shlex.join(["alliance-run", *sweep, f"seed={seeds}", *self.overrides()])

    def with_changes(self, **changes: object) -> Choice:
        """A copy with some controls changed."""
        return dataclasses.replace(self, **changes)


def _number(value: float) -> str:
    """A number as the shortest override text that reads back as the same float."""
    return repr(int(value)) if float(value).is_integer() else repr(float(value))
