"""Time series recorded at the end of every step."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import numpy as np

from simulation.config import INSTRUMENTS, MATURITY_LEVELS

if TYPE_CHECKING:
    from simulation.state import Allocation, ModelState


@dataclass
class Recorder:
    """Per-step arrays; `time` is the first axis of each.

    Flows (`*_eur`, `fund_spending_eur`) are totals over the step; states are read
    at the end of the step.
    """

    value_eur: np.ndarray
    resources_eur: np.ndarray
    mobilised_eur: np.ndarray
    active_projects: np.ndarray
    active_alliances: np.ndarray
    starts_forgone: np.ndarray
    engineering: np.ndarray
    trust: np.ndarray
    maturity: np.ndarray
    value_by_profile_eur: np.ndarray
    value_by_lead_profile_eur: np.ndarray
    maturity_share: np.ndarray
    commons: np.ndarray
    fund_spending_eur: np.ndarray

    @classmethod
    def empty(cls, n_steps: int, n_territories: int, n_profiles: int) -> Recorder:
        """Zero-filled arrays for a run.

        Args:
            n_steps: Steps in the run.
            n_territories: Territories in the world.
            n_profiles: Organisation profiles.

        Returns:
            A new recorder.
        """
        by_territory = (n_steps, n_territories)
        return cls(
            value_eur=np.zeros(by_territory),
            resources_eur=np.zeros(by_territory),
            mobilised_eur=np.zeros(by_territory),
            active_projects=np.zeros(by_territory, dtype=np.int64),
            active_alliances=np.zeros(by_territory, dtype=np.int64),
            starts_forgone=np.zeros(by_territory, dtype=np.int64),
            engineering=np.zeros(by_territory),
            trust=np.zeros(by_territory),
            maturity=np.zeros(by_territory, dtype=np.int8),
            value_by_profile_eur=np.zeros((n_steps, n_profiles)),
            value_by_lead_profile_eur=np.zeros((n_steps, n_profiles)),
            maturity_share=np.zeros((n_steps, len(MATURITY_LEVELS))),
            commons=np.zeros(n_steps),
            fund_spending_eur=np.zeros((n_steps, len(INSTRUMENTS))),
        )

    def record(
        self,
        t: int,
        model: ModelState,
        flows: dict[str, np.ndarray],
        allocation: Allocation,
    ) -> None:
        """Store step `t`.

        Args:
            t: Step index.
            model: The model, read after the step's updates.
            flows: Per-project flows of this step from the model's production.
            allocation: The fund's direct spending of this step.
        """
        territories = model.territories
        projects = model.projects
        n = territories.trust.size
        rows = model._active
        territory = model.active_column("territory")
        alliance = model.active_column("alliance")
        value_rows, value = flows["value_rows"], flows["value"]
        value_territory = territory if value_rows is rows else projects.territory[value_rows]
        if model.kernels is not None:
            model.kernels.record_flows(
                territory,
                alliance,
                flows["resources"],
                flows["mobilised"],
                value_rows,
                value_territory,
                value,
                projects.profile,
                projects.member_profile,
                projects.member_share,
                self.value_eur[t],
                self.resources_eur[t],
                self.mobilised_eur[t],
                self.active_projects[t],
                self.active_alliances[t],
                self.value_by_lead_profile_eur[t],
                self.value_by_profile_eur[t],
            )
        else:
            self._record_flows(t, model, flows, territory, alliance, value_territory)
        self.starts_forgone[t] = np.bincount(model.population.territory[model.forgone], minlength=n)
        self.engineering[t] = territories.engineering
        self.trust[t] = territories.trust
        self.maturity[t] = territories.maturity
        counts = np.bincount(territories.maturity, minlength=len(MATURITY_LEVELS) + 1)[1:]
        self.maturity_share[t] = counts / n
        self.commons[t] = model.commons
        self.fund_spending_eur[t] = (
            allocation.engineering_eur.sum(),
            flows["grant"].sum(),
            allocation.structural_eur,
        )

    def _record_flows(
        self,
        t: int,
        model: ModelState,
        flows: dict[str, np.ndarray],
        territory: np.ndarray,
        alliance: np.ndarray,
        value_territory: np.ndarray,
    ) -> None:
        """Store step `t`'s sums by territory and by profile (numpy; `compiled.record_flows`)."""
        projects = model.projects
        n = model.territories.trust.size
        n_profiles = self.value_by_profile_eur.shape[1]
        value_rows, value = flows["value_rows"], flows["value"]
        self.value_eur[t] = np.bincount(value_territory, weights=value, minlength=n)
        self.value_by_lead_profile_eur[t] = np.bincount(
            projects.profile[value_rows], weights=value, minlength=n_profiles
        )
        # Empty member slots fall in a last bin of their own, dropped: each
        # profile's bin adds the same shares in the same order as over members only.
        self.value_by_profile_eur[t] = np.bincount(
            np.take(projects.member_profile, value_rows, axis=0).ravel(),
            weights=(value[:, None] * np.take(projects.member_share, value_rows, axis=0)).ravel(),
            minlength=n_profiles + 1,
        )[:n_profiles]
        self.resources_eur[t] = np.bincount(territory, weights=flows["resources"], minlength=n)
        self.mobilised_eur[t] = np.bincount(territory, weights=flows["mobilised"], minlength=n)
        self.active_projects[t] = np.bincount(territory, minlength=n)
        self.active_alliances[t] = np.bincount(territory[alliance], minlength=n)

    def as_dict(self) -> dict[str, np.ndarray]:
        """The recorded arrays by name."""
        return {f.name: getattr(self, f.name) for f in fields(self)}
