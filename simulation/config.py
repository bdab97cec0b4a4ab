"""Typed configuration of a run: world, mechanisms, fund, accounting.

Plain dataclasses, so a notebook can build one by hand; the Hydra app in
`experiments/` uses the same classes as its structured-config schema. Every
default here is repeated, with its unit and source, in `configs/` (the files a
user reads) and in `docs/model.md`. `RunConfig.validate` checks the whole tree
and names the offending key; the model calls it before any work starts.
"""

from __future__ import annotations

import copy
import datetime
import math
from dataclasses import dataclass, field, fields

from simulation.bounds import ConfigError, check_bounds, fail, param
from simulation.discounting import GREEN_BOOK, SCHEDULES

__all__ = ["ConfigError", "RunConfig"]

PROFILES: tuple[str, ...] = (
    "association",
    "company",
    "foundation",
    "local_authority",
    "academic",
    "citizen_collective",
)
SIZE_CLASSES: tuple[str, ...] = ("small", "medium", "large")
INSTRUMENTS: tuple[str, ...] = ("engineering", "innovation", "structural")
MATURITY_LEVELS: tuple[int, ...] = (1, 2, 3, 4)
TARGETS: tuple[str, ...] = (
    "all",
    "small",
    "small_medium",
    "maturity_1_2",
    "maturity_3_4",
    "most_mature",
)


def _check_shares(key: str, shares: list[float] | dict[str, float], names: tuple) -> None:
    """Shares (each already checked in [0, 1]): one per name, summing to 1."""
    values = list(shares.values()) if isinstance(shares, dict) else list(shares)
    if len(values) != len(names):
        fail(key, shares, f"{len(names)} shares, one for each of {list(names)}")
    if not math.isclose(sum(values), 1.0, abs_tol=1e-9):
        fail(key, shares, f"shares that sum to 1 (these sum to {sum(values):.6g})")


@dataclass
class ProfileConfig:
    """What one organisation of a profile brings to a project, per step.

    Pillar amounts are means; each organisation scales them by its own size.
    """

    share: float = param(0.0, 0.0, 1.0, doc="share of organisations with this profile")
    human_fte: float = param(0.0, 0.0, 10.0, "FTE", doc="human wealth given to a project")
    grants_eur: float = param(0.0, 0.0, 1e6, "EUR per step", doc="grants it brings")
    revenue_eur: float = param(0.0, 0.0, 1e6, "EUR per step", doc="own revenue it brings")
    societal_investment_eur: float = param(
        0.0, 0.0, 1e6, "EUR per step", doc="societal investment (patronage, CSR) it brings"
    )
    idle_eur: float = param(
        0.0, 0.0, 1e6, "EUR per step", doc="idle resources an alliance can mobilise"
    )
    start_rate_multiplier: float = param(1.0, 0.0, 10.0, doc="multiplier of its project start rate")
    ally_survey_share: float = param(
        0.0,
        0.0,
        0.99,
        doc="share of the profile rating alliances' impact on collective mobilisation strong"
        " (survey, file 004); 0 = not surveyed",
    )

    def validate(self, key: str) -> None:
        """Check every field against its declared range.

        Args:
            key: Dotted path of this profile in the config tree.
        """
        check_bounds(self, key)


def _default_profiles() -> dict[str, ProfileConfig]:
    return {
        "association": ProfileConfig(0.55, 0.10, 600.0, 300.0, 50.0, 400.0, 1.0, 0.88),
        "company": ProfileConfig(0.22, 0.03, 0.0, 0.0, 800.0, 600.0, 0.5, 0.58),
        "foundation": ProfileConfig(0.03, 0.02, 0.0, 0.0, 1500.0, 1000.0, 0.5, 0.95),
        "local_authority": ProfileConfig(0.08, 0.05, 1200.0, 0.0, 0.0, 500.0, 0.8, 0.63),
        "academic": ProfileConfig(0.04, 0.04, 400.0, 200.0, 0.0, 300.0, 0.4, 0.0),
        "citizen_collective": ProfileConfig(0.08, 0.06, 50.0, 50.0, 0.0, 300.0, 1.2, 0.61),
    }


@dataclass
class ScenarioConfig:
    """The simulated world: its size, its territories and its organisations."""

    name: str = "default"
    start_date: str = "2020-01-01"
    n_territories: int = param(81, 2, 10_000)
    n_organisations: int = param(10_000, 20, 2_000_000)
    years: int = param(10, 1, 50, "year")
    steps_per_year: int = param(4, 1, 12)
    n_domains: int = param(16, 1, 100)
    size_class_shares: list[float] = param([0.5, 0.35, 0.15], 0.0, 1.0)
    size_class_weights: list[float] = param([1.0, 3.0, 9.0], 0.01, 1000.0)
    initial_maturity_shares: list[float] = param([0.85, 0.12, 0.03, 0.0], 0.0, 1.0)
    organisation_size_sigma: float = param(0.8, 0.0, 3.0)
    money_scale: float = param(1.0, 0.01, 100.0)
    profiles: dict[str, ProfileConfig] = field(default_factory=_default_profiles)

    @property
    def n_steps(self) -> int:
        """Number of steps in the horizon."""
        return self.years * self.steps_per_year

    def validate(self, key: str = "scenario") -> None:
        """Check sizes, shares and profile names.

        Args:
            key: Dotted path of this section in the config tree.
        """
        check_bounds(self, key)
        try:
            datetime.date.fromisoformat(self.start_date)
        except (TypeError, ValueError):
            fail(f"{key}.start_date", self.start_date, "an ISO 8601 date, e.g. 2020-01-01")
        if self.n_organisations < 10 * self.n_territories:
            fail(
                f"{key}.n_organisations",
                self.n_organisations,
                f"an integer >= 10 x n_territories ({10 * self.n_territories})",
            )
        _check_shares(f"{key}.size_class_shares", self.size_class_shares, SIZE_CLASSES)
        if len(self.size_class_weights) != len(SIZE_CLASSES):
            fail(f"{key}.size_class_weights", self.size_class_weights, "3 positive weights")
        _check_shares(
            f"{key}.initial_maturity_shares",
            self.initial_maturity_shares,
            tuple(f"level_{m}" for m in MATURITY_LEVELS),
        )
        unknown = sorted(set(self.profiles) - set(PROFILES))
        if unknown:
            fail(f"{key}.profiles.{unknown[0]}", unknown[0], f"one of {list(PROFILES)}")
        missing = [p for p in PROFILES if p not in self.profiles]
        if missing:
            fail(f"{key}.profiles", sorted(self.profiles), f"all six profiles {list(PROFILES)}")
        for name in PROFILES:
            self.profiles[name].validate(f"{key}.profiles.{name}")
        _check_shares(
            f"{key}.profiles.*.share",
            {p: self.profiles[p].share for p in PROFILES},
            PROFILES,
        )


@dataclass
class EngineeringConfig:
    """Territorial engineering capacity E (catalysts who steer cooperation)."""

    baseline_by_size: list[float] = param([0.05, 0.10, 0.20], 0.0, 1.0)
    decay_per_step: float = param(0.05, 0.0, 1.0, "per step")
    grant_effect: float = param(0.30, 0.0, 1.0)
    grant_half_saturation_eur_per_organisation: float = param(
        300.0, 1.0, 1e5, "EUR per organisation per step"
    )


@dataclass
class CommonsConfig:
    """Knowledge commons K built by structural investment."""

    decay_per_step: float = param(0.02, 0.0, 1.0, "per step")
    investment_effect: float = param(0.20, 0.0, 1.0)
    investment_half_saturation_eur_per_organisation: float = param(
        10.0, 0.01, 1e4, "EUR per organisation per step"
    )
    setup_cost_reduction: float = param(0.5, 0.0, 1.0)


@dataclass
class MaturityConfig:
    """Territory maturity transitions between levels 1 and 4."""

    base_rate: float = param(0.004, 0.0, 1.0, "per step")
    engineering_rate: float = param(0.04, 0.0, 1.0, "per step")
    commons_rate: float = param(0.04, 0.0, 1.0, "per step")
    experience_rate: float = param(0.04, 0.0, 1.0, "per step")
    experience_half_saturation: float = param(20.0, 0.1, 1e4, "alliances")
    level_factor: float = param(1.3, 0.1, 10.0)
    down_probability: float = param(0.003, 0.0, 1.0, "per step")


@dataclass
class TrustConfig:
    """Territory trust T and organisations' alliance capital A."""

    initial_mean: float = param(0.3, 0.0, 1.0)
    initial_by_level: float = param(0.08, 0.0, 1.0)
    initial_spread: float = param(0.1, 0.0, 1.0)
    learning_rate: float = param(0.05, 0.0, 1.0)
    pseudo_count: float = param(5.0, 0.1, 1000.0, "events")
    success_age_steps: int = param(8, 1, 400, "step")
    capital_gain: float = param(0.10, 0.0, 1.0)
    capital_loss: float = param(0.05, 0.0, 1.0)
    capital_decay_per_step: float = param(0.01, 0.0, 1.0, "per step")


@dataclass
class EmergenceConfig:
    """Project emergence and the choice between going alone and allying."""

    base_rate: float = param(0.02, 0.0, 1.0, "per organisation per step")
    fragility_effect: float = param(1.0, 0.0, 10.0)
    engineering_effect: float = param(0.3, 0.0, 10.0)
    ally_intercept: float = param(-1.5, -20.0, 20.0, "logit")
    ally_engineering: float = param(2.0, -20.0, 20.0, "logit")
    ally_trust: float = param(1.5, -20.0, 20.0, "logit")
    ally_capital: float = param(1.5, -20.0, 20.0, "logit")
    ally_maturity: float = param(0.3, -20.0, 20.0, "logit")
    ally_profile_weight: float = param(0.0, 0.0, 10.0, "logit per survey logit")
    max_partners: int = param(3, 1, 20, "organisations")
    partner_candidates: int = param(4, 1, 100, "organisations")
    setup_cost_eur: float = param(200.0, 0.0, 1e6, "EUR")
    project_capacity: float = param(4.0, 0.0, 100.0, "projects")


@dataclass
class FragilityConfig:
    """How projects relieve the fragilities they answer, and how fragilities return.

    With `relief_rate` 0 (the default) fragilities never change.
    """

    relief_rate: float = param(0.0, 0.0, 1.0, "per step")
    relief_half_saturation_eur_per_organisation: float = param(
        50.0, 0.01, 1e6, "EUR per organisation per step"
    )
    recovery_per_step: float = param(0.05, 0.0, 1.0, "per step")


@dataclass
class QualityConfig:
    """Alliance quality Q from engineering, trust and complementarity."""

    weight_engineering: float = param(0.4, 0.0, 1.0)
    weight_trust: float = param(0.3, 0.0, 1.0)
    weight_complementarity: float = param(0.3, 0.0, 1.0)


@dataclass
class ProductionConfig:
    """How projects turn resources into social value."""

    wage_eur_per_fte_step: float = param(9000.0, 0.0, 1e5, "EUR per FTE per step")
    productivity: float = param(1.0, 0.01, 100.0, "EUR of value per EUR")
    frugality_gain: float = param(1.5, 0.0, 20.0)
    mobilisation: float = param(0.6, 0.0, 1.0)
    deployment_scale: float = param(1.5, 1.0, 10.0)
    shared_pillars: bool = True


@dataclass
class SurvivalConfig:
    """Project hazard h = h0 exp(-gQ Q - gD D), times a factor once backed."""

    base_hazard: float = param(0.3, 0.0, 10.0, "per step")
    quality_effect: float = param(1.5, 0.0, 20.0)
    diversification_effect: float = param(1.0, 0.0, 20.0)
    backing_hazard_factor: float = param(0.5, 0.0, 1.0)


@dataclass
class ModelConfig:
    """All mechanism parameters."""

    engineering: EngineeringConfig = field(default_factory=EngineeringConfig)
    commons: CommonsConfig = field(default_factory=CommonsConfig)
    maturity: MaturityConfig = field(default_factory=MaturityConfig)
    trust: TrustConfig = field(default_factory=TrustConfig)
    emergence: EmergenceConfig = field(default_factory=EmergenceConfig)
    fragility: FragilityConfig = field(default_factory=FragilityConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    production: ProductionConfig = field(default_factory=ProductionConfig)
    survival: SurvivalConfig = field(default_factory=SurvivalConfig)

    def validate(self, key: str = "model") -> None:
        """Check every mechanism parameter against its admissible range.

        Args:
            key: Dotted path of this section in the config tree.
        """
        for section in fields(self):
            check_bounds(getattr(self, section.name), f"{key}.{section.name}")
        if len(self.engineering.baseline_by_size) != len(SIZE_CLASSES):
            fail(
                f"{key}.engineering.baseline_by_size",
                self.engineering.baseline_by_size,
                f"one value in [0, 1] for each of {list(SIZE_CLASSES)}",
            )
        q = self.quality
        total = q.weight_engineering + q.weight_trust + q.weight_complementarity
        if total > 1.0 + 1e-9:
            fail(f"{key}.quality", total, "weights whose sum is <= 1 (so that Q <= 1)")


@dataclass
class StrategyConfig:
    """How the fund splits its budget between instruments and territories."""

    name: str = "uniform"
    description: str = ""
    shares: dict[str, float] = param(
        {"engineering": 1 / 3, "innovation": 1 / 3, "structural": 1 / 3}, 0.0, 1.0
    )
    engineering_target: str = "all"
    innovation_target: str = "all"
    top_k: int = param(10, 1, 10_000, "territories")

    @property
    def invests(self) -> bool:
        """Whether this strategy spends anything at all."""
        return any(value > 0 for value in self.shares.values())

    def validate(self, key: str = "fund.strategy") -> None:
        """Check shares and targeting rules.

        Args:
            key: Dotted path of this section in the config tree.
        """
        unknown = sorted(set(self.shares) - set(INSTRUMENTS))
        if unknown or len(self.shares) != len(INSTRUMENTS):
            fail(f"{key}.shares", dict(self.shares), f"one share for each of {list(INSTRUMENTS)}")
        check_bounds(self, key)
        if self.invests:
            _check_shares(f"{key}.shares", {i: self.shares[i] for i in INSTRUMENTS}, INSTRUMENTS)
        for name in ("engineering_target", "innovation_target"):
            value = getattr(self, name)
            if value not in TARGETS:
                fail(f"{key}.{name}", value, f"one of {list(TARGETS)}")


@dataclass
class FundConfig:
    """The fund: budget, period, ticket size and strategy.

    With `placebo` the fund selects, backs and pays exactly as configured, but
    its money changes nothing in the world: engineering grants do not raise `E`,
    structural investment does not build `K`, and backed projects neither scale
    up, nor live longer, nor use the grant. What it paid is still recorded. The
    observed premium of a placebo fund is pure selection.
    """

    budget_eur: float = param(1_500_000.0, 0.0, 1e10, "EUR")
    years: float = param(3.0, 0.25, 50.0, "year")
    ticket_eur: float = param(10_000.0, 1.0, 1e8, "EUR")
    grant_steps: int = param(4, 1, 400, "step")
    proof_of_concept_steps: int = param(2, 0, 400, "step")
    max_tickets_per_territory: int = param(0, 0, 1_000_000, "grants")
    placebo: bool = False
    strategy: StrategyConfig = field(default_factory=StrategyConfig)

    def validate(self, key: str = "fund") -> None:
        """Check budget, period and ticket.

        Args:
            key: Dotted path of this section in the config tree.
        """
        check_bounds(self, key)
        self.strategy.validate(f"{key}.strategy")


@dataclass
class AccountingConfig:
    """How value is counted: discounting, drop-off, survival horizon."""

    discount_rate_per_year: float = param(0.045, 0.0, 0.5, "per year")
    discount_schedule: str = "constant"
    value_persistence_per_step: float = param(0.0, 0.0, 0.999)
    rmst_horizon_years: float = param(7.0, 0.25, 50.0, "year")

    def validate(self, key: str = "accounting") -> None:
        """Check rates, the discounting schedule and the survival horizon.

        Args:
            key: Dotted path of this section in the config tree.
        """
        check_bounds(self, key)
        if self.discount_schedule not in SCHEDULES:
            fail(f"{key}.discount_schedule", self.discount_schedule, f"one of {list(SCHEDULES)}")
        first = GREEN_BOOK[0][1]
        if self.discount_schedule == "green_book" and self.discount_rate_per_year != first:
            fail(
                f"{key}.discount_rate_per_year",
                self.discount_rate_per_year,
                f"{first} with discount_schedule = green_book (the schedule's first band)",
            )


@dataclass
class RunConfig:
    """Everything one run needs: the world, the mechanisms, the fund and the seed.

    `RunConfig()` holds the *uncalibrated* assumptions of `configs/model/default.yaml`,
    not the calibrated set that `alliance-run` uses by default. For the numbers of
    the command line, compose the configuration as it does:
    `experiments.load_config(["seed=3"])`.
    """

    seed: int = param(0, 0, 2**63 - 1)
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    fund: FundConfig = field(default_factory=FundConfig)
    accounting: AccountingConfig = field(default_factory=AccountingConfig)

    def validate(self) -> RunConfig:
        """Check the whole tree; raise `ConfigError` naming the first bad key.

        Returns:
            This config, so calls can be chained.
        """
        check_bounds(self, "")
        self.scenario.validate()
        self.model.validate()
        self.fund.validate()
        self.accounting.validate()
        horizon = self.scenario.years
        if self.fund.years > horizon:
            fail("fund.years", self.fund.years, f"a period within the horizon ({horizon} years)")
        if self.accounting.rmst_horizon_years > horizon:
            fail(
                "accounting.rmst_horizon_years",
                self.accounting.rmst_horizon_years,
                f"a horizon within scenario.years ({horizon})",
            )
        return self

    def run_config(self) -> RunConfig:
        """The plain run configuration, deep-copied.

        Configs that extend this one (a calibration, a sensitivity job) carry more
        than a run needs; the simulation takes only this part.
        """
        return RunConfig(
            **{f.name: copy.deepcopy(getattr(self, f.name)) for f in fields(RunConfig)}
        )
