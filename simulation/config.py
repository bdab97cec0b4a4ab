"""Typed configuration of a run: world, mechanisms, fund, accounting.

Plain dataclasses, so a notebook can build one by hand; the Hydra app in
`experiments/` uses the same classes as its structured-config schema. Every
default here is repeated, with its unit and source, in `configs/` (the files a
user reads) and in `docs/model.md`. `RunConfig.validate` checks the whole tree
and names the offending key; the model calls it before any work starts.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field, fields

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


class ConfigError(ValueError):
    """A configuration value is outside what the model accepts."""


def _fail(key: str, value: object, allowed: str) -> None:
    msg = f"invalid config: {key} = {value!r}; allowed: {allowed}"
    raise ConfigError(msg)


def _check_range(key: str, value: float, low: float, high: float = math.inf) -> None:
    if not (low <= value <= high) or math.isnan(value):
        upper = "" if high == math.inf else f" and <= {high}"
        _fail(key, value, f"a number >= {low}{upper}")


def _check_shares(key: str, shares: list[float] | dict[str, float], names: tuple) -> None:
    values = list(shares.values()) if isinstance(shares, dict) else list(shares)
    if len(values) != len(names):
        _fail(key, shares, f"{len(names)} shares, one for each of {list(names)}")
    for name, value in zip(names, values, strict=True):
        _check_range(f"{key}.{name}", value, 0.0, 1.0)
    if not math.isclose(sum(values), 1.0, abs_tol=1e-9):
        _fail(key, shares, f"shares that sum to 1 (these sum to {sum(values):.6g})")


@dataclass
class ProfileConfig:
    """What one organisation of a profile brings to a project, per step.

    Pillar amounts are means; each organisation scales them by its own size.
    """

    share: float = 0.0
    human_fte: float = 0.0
    grants_eur: float = 0.0
    revenue_eur: float = 0.0
    societal_investment_eur: float = 0.0
    idle_eur: float = 0.0
    start_rate_multiplier: float = 1.0

    def validate(self, key: str) -> None:
        """Check every field is non-negative.

        Args:
            key: Dotted path of this profile in the config tree.
        """
        for name in (
            "human_fte",
            "grants_eur",
            "revenue_eur",
            "societal_investment_eur",
            "idle_eur",
            "start_rate_multiplier",
        ):
            _check_range(f"{key}.{name}", getattr(self, name), 0.0)


def _default_profiles() -> dict[str, ProfileConfig]:
    return {
        "association": ProfileConfig(0.55, 0.10, 600.0, 300.0, 50.0, 400.0, 1.0),
        "company": ProfileConfig(0.22, 0.03, 0.0, 0.0, 800.0, 600.0, 0.5),
        "foundation": ProfileConfig(0.03, 0.02, 0.0, 0.0, 1500.0, 1000.0, 0.5),
        "local_authority": ProfileConfig(0.08, 0.05, 1200.0, 0.0, 0.0, 500.0, 0.8),
        "academic": ProfileConfig(0.04, 0.04, 400.0, 200.0, 0.0, 300.0, 0.4),
        "citizen_collective": ProfileConfig(0.08, 0.06, 50.0, 50.0, 0.0, 300.0, 1.2),
    }


@dataclass
class ScenarioConfig:
    """The simulated world: its size, its territories and its organisations."""

    name: str = "default"
    n_territories: int = 81
    n_organisations: int = 10_000
    years: int = 10
    steps_per_year: int = 4
    n_domains: int = 16
    size_class_shares: list[float] = field(default_factory=lambda: [0.5, 0.35, 0.15])
    size_class_weights: list[float] = field(default_factory=lambda: [1.0, 3.0, 9.0])
    initial_maturity_shares: list[float] = field(default_factory=lambda: [0.85, 0.12, 0.03, 0.0])
    organisation_size_sigma: float = 0.8
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
        if self.n_territories < 1:
            _fail(f"{key}.n_territories", self.n_territories, "an integer >= 1")
        if self.n_organisations < self.n_territories:
            _fail(
                f"{key}.n_organisations",
                self.n_organisations,
                f"an integer >= n_territories ({self.n_territories})",
            )
        if self.years < 1:
            _fail(f"{key}.years", self.years, "an integer >= 1")
        if self.steps_per_year < 1:
            _fail(f"{key}.steps_per_year", self.steps_per_year, "an integer >= 1")
        if self.n_domains < 1:
            _fail(f"{key}.n_domains", self.n_domains, "an integer >= 1")
        _check_shares(f"{key}.size_class_shares", self.size_class_shares, SIZE_CLASSES)
        if len(self.size_class_weights) != len(SIZE_CLASSES):
            _fail(f"{key}.size_class_weights", self.size_class_weights, "3 positive weights")
        for name, weight in zip(SIZE_CLASSES, self.size_class_weights, strict=True):
            _check_range(f"{key}.size_class_weights.{name}", weight, 1e-12)
        _check_shares(
            f"{key}.initial_maturity_shares",
            self.initial_maturity_shares,
            tuple(f"level_{m}" for m in MATURITY_LEVELS),
        )
        _check_range(f"{key}.organisation_size_sigma", self.organisation_size_sigma, 0.0)
        unknown = sorted(set(self.profiles) - set(PROFILES))
        if unknown:
            _fail(f"{key}.profiles.{unknown[0]}", unknown[0], f"one of {list(PROFILES)}")
        missing = [p for p in PROFILES if p not in self.profiles]
        if missing:
            _fail(f"{key}.profiles", sorted(self.profiles), f"all six profiles {list(PROFILES)}")
        _check_shares(
            f"{key}.profiles.*.share",
            {p: self.profiles[p].share for p in PROFILES},
            PROFILES,
        )
        for name in PROFILES:
            self.profiles[name].validate(f"{key}.profiles.{name}")


@dataclass
class EngineeringConfig:
    """Territorial engineering capacity E (catalysts who steer cooperation)."""

    baseline_by_size: list[float] = field(default_factory=lambda: [0.05, 0.10, 0.20])
    decay_per_step: float = 0.05
    grant_effect: float = 0.30
    grant_half_saturation_eur_per_organisation: float = 300.0


@dataclass
class CommonsConfig:
    """Knowledge commons K built by structural investment."""

    decay_per_step: float = 0.02
    investment_effect: float = 0.20
    investment_half_saturation_eur_per_organisation: float = 10.0
    setup_cost_reduction: float = 0.5


@dataclass
class MaturityConfig:
    """Territory maturity transitions between levels 1 and 4."""

    base_rate: float = 0.004
    engineering_rate: float = 0.04
    commons_rate: float = 0.04
    experience_rate: float = 0.04
    experience_half_saturation: float = 20.0
    level_factor: float = 1.3
    down_probability: float = 0.003


@dataclass
class TrustConfig:
    """Territory trust T and organisations' alliance capital A."""

    initial_mean: float = 0.3
    initial_by_level: float = 0.08
    initial_spread: float = 0.1
    learning_rate: float = 0.05
    pseudo_count: float = 5.0
    success_age_steps: int = 8
    capital_gain: float = 0.10
    capital_loss: float = 0.05
    capital_decay_per_step: float = 0.01


@dataclass
class EmergenceConfig:
    """Project emergence and the choice between going alone and allying."""

    base_rate: float = 0.02
    fragility_effect: float = 1.0
    engineering_effect: float = 0.3
    ally_intercept: float = -1.5
    ally_engineering: float = 2.0
    ally_trust: float = 1.5
    ally_capital: float = 1.5
    ally_maturity: float = 0.3
    max_partners: int = 3
    partner_candidates: int = 4
    setup_cost_eur: float = 200.0


@dataclass
class QualityConfig:
    """Alliance quality Q from engineering, trust and complementarity."""

    weight_engineering: float = 0.4
    weight_trust: float = 0.3
    weight_complementarity: float = 0.3


@dataclass
class ProductionConfig:
    """How projects turn resources into social value."""

    wage_eur_per_fte_step: float = 9000.0
    productivity: float = 1.0
    frugality_gain: float = 1.5
    mobilisation: float = 0.6
    deployment_scale: float = 1.5


@dataclass
class SurvivalConfig:
    """Project hazard h = h0 exp(-gQ Q - gD D), times a factor once backed."""

    base_hazard: float = 0.3
    quality_effect: float = 1.5
    diversification_effect: float = 1.0
    backing_hazard_factor: float = 0.5


@dataclass
class ModelConfig:
    """All mechanism parameters."""

    engineering: EngineeringConfig = field(default_factory=EngineeringConfig)
    commons: CommonsConfig = field(default_factory=CommonsConfig)
    maturity: MaturityConfig = field(default_factory=MaturityConfig)
    trust: TrustConfig = field(default_factory=TrustConfig)
    emergence: EmergenceConfig = field(default_factory=EmergenceConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    production: ProductionConfig = field(default_factory=ProductionConfig)
    survival: SurvivalConfig = field(default_factory=SurvivalConfig)

    def validate(self, key: str = "model") -> None:
        """Check every mechanism parameter against its admissible range.

        Args:
            key: Dotted path of this section in the config tree.
        """
        probabilities = {
            "engineering.decay_per_step",
            "engineering.grant_effect",
            "commons.decay_per_step",
            "commons.investment_effect",
            "commons.setup_cost_reduction",
            "maturity.down_probability",
            "trust.initial_mean",
            "trust.learning_rate",
            "trust.capital_gain",
            "trust.capital_loss",
            "trust.capital_decay_per_step",
        }
        for section_name in (
            "engineering",
            "commons",
            "maturity",
            "trust",
            "emergence",
            "quality",
            "production",
            "survival",
        ):
            section = getattr(self, section_name)
            for name, value in vars(section).items():
                path = f"{section_name}.{name}"
                if path.startswith("emergence.ally_"):
                    continue  # logit coefficients may be negative
                if isinstance(value, list):
                    for i, item in enumerate(value):
                        _check_range(f"{key}.{path}[{i}]", item, 0.0, 1.0)
                elif path in probabilities:
                    _check_range(f"{key}.{path}", value, 0.0, 1.0)
                else:
                    _check_range(f"{key}.{path}", value, 0.0)
        if len(self.engineering.baseline_by_size) != len(SIZE_CLASSES):
            _fail(
                f"{key}.engineering.baseline_by_size",
                self.engineering.baseline_by_size,
                f"one value in [0, 1] for each of {list(SIZE_CLASSES)}",
            )
        q = self.quality
        total = q.weight_engineering + q.weight_trust + q.weight_complementarity
        if total > 1.0 + 1e-9:
            _fail(f"{key}.quality", total, "weights whose sum is <= 1 (so that Q <= 1)")
        if self.emergence.max_partners < 1:
            _fail(f"{key}.emergence.max_partners", self.emergence.max_partners, "an integer >= 1")
        if self.emergence.partner_candidates < 1:
            _fail(
                f"{key}.emergence.partner_candidates",
                self.emergence.partner_candidates,
                "an integer >= 1",
            )
        _check_range(f"{key}.production.deployment_scale", self.production.deployment_scale, 1.0)
        _check_range(
            f"{key}.survival.backing_hazard_factor", self.survival.backing_hazard_factor, 0.0, 1.0
        )


@dataclass
class StrategyConfig:
    """How the fund splits its budget between instruments and territories."""

    name: str = "uniform"
    description: str = ""
    shares: dict[str, float] = field(
        default_factory=lambda: {"engineering": 1 / 3, "innovation": 1 / 3, "structural": 1 / 3}
    )
    engineering_target: str = "all"
    innovation_target: str = "all"
    top_k: int = 10

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
            _fail(f"{key}.shares", dict(self.shares), f"one share for each of {list(INSTRUMENTS)}")
        if self.invests:
            _check_shares(f"{key}.shares", {i: self.shares[i] for i in INSTRUMENTS}, INSTRUMENTS)
        for name in ("engineering_target", "innovation_target"):
            value = getattr(self, name)
            if value not in TARGETS:
                _fail(f"{key}.{name}", value, f"one of {list(TARGETS)}")
        if self.top_k < 1:
            _fail(f"{key}.top_k", self.top_k, "an integer >= 1")


@dataclass
class FundConfig:
    """The fund: budget, period, ticket size and strategy.

    With `placebo` the fund selects, backs and pays exactly as configured, but
    its money changes nothing in the world: engineering grants do not raise `E`,
    structural investment does not build `K`, and backed projects neither scale
    up, nor live longer, nor use the grant. What it paid is still recorded. The
    observed premium of a placebo fund is pure selection.
    """

    budget_eur: float = 1_500_000.0
    years: float = 3.0
    ticket_eur: float = 10_000.0
    grant_steps: int = 4
    proof_of_concept_steps: int = 2
    placebo: bool = False
    strategy: StrategyConfig = field(default_factory=StrategyConfig)

    def validate(self, key: str = "fund") -> None:
        """Check budget, period and ticket.

        Args:
            key: Dotted path of this section in the config tree.
        """
        _check_range(f"{key}.budget_eur", self.budget_eur, 0.0)
        _check_range(f"{key}.years", self.years, 0.25)
        _check_range(f"{key}.ticket_eur", self.ticket_eur, 1.0)
        if self.grant_steps < 1:
            _fail(f"{key}.grant_steps", self.grant_steps, "an integer >= 1")
        if self.proof_of_concept_steps < 0:
            _fail(f"{key}.proof_of_concept_steps", self.proof_of_concept_steps, "an integer >= 0")
        self.strategy.validate(f"{key}.strategy")


@dataclass
class AccountingConfig:
    """How value is counted: discounting, drop-off, survival horizon."""

    discount_rate_per_year: float = 0.045
    value_persistence_per_step: float = 0.0
    rmst_horizon_years: float = 7.0

    def validate(self, key: str = "accounting") -> None:
        """Check rates and the survival horizon.

        Args:
            key: Dotted path of this section in the config tree.
        """
        _check_range(f"{key}.discount_rate_per_year", self.discount_rate_per_year, 0.0, 1.0)
        _check_range(
            f"{key}.value_persistence_per_step", self.value_persistence_per_step, 0.0, 0.999
        )
        _check_range(f"{key}.rmst_horizon_years", self.rmst_horizon_years, 0.25)


@dataclass
class RunConfig:
    """Everything one run needs: the world, the mechanisms, the fund and the seed.

    `RunConfig()` holds the *uncalibrated* assumptions of `configs/model/default.yaml`,
    not the calibrated set that `alliance-run` uses by default. For the numbers of
    the command line, compose the configuration as it does:
    `experiments.load_config(["seed=3"])`.
    """

    seed: int = 0
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    fund: FundConfig = field(default_factory=FundConfig)
    accounting: AccountingConfig = field(default_factory=AccountingConfig)

    def validate(self) -> RunConfig:
        """Check the whole tree; raise `ConfigError` naming the first bad key.

        Returns:
            This config, so calls can be chained.
        """
        if not 0 <= self.seed < 2**63:
            _fail("seed", self.seed, "an integer in [0, 2**63)")
        self.scenario.validate()
        self.model.validate()
        self.fund.validate()
        self.accounting.validate()
        horizon = self.scenario.years
        if self.fund.years > horizon:
            _fail("fund.years", self.fund.years, f"a period within the horizon ({horizon} years)")
        if self.accounting.rmst_horizon_years > horizon:
            _fail(
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
