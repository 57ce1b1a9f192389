"""Putting a plan together step by step, checking each request as it is added."""

from __future__ import annotations

from collections.abc import Mapping

from mapping.flows.validate import check_step
from mapping.plan import LinkKey, Plan, PlannedStep


class PlanBuilder:
    def __init__(self, flow: str, link: LinkKey | None) -> None:
        self.plan = Plan(flow=flow, link=link, steps=[])

    def add(self, step: PlannedStep, fields: Mapping[str, str] | None = None) -> int:
        """Append ``step`` after building its request; ``fields`` maps request paths to payload paths so
        a refusal or a warning names the Fusion Operations field. Returns the step's index."""
        self.plan.warnings.extend(check_step(step, fields))
        self.plan.steps.append(step)
        return len(self.plan.steps) - 1

    def warn(self, message: str) -> None:
        self.plan.warnings.append(message)
