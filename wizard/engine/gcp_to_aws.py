"""Google Cloud → AWS steps of the plan (placeholder until the journey lands)."""

from __future__ import annotations

from typing import Any

from wizard.model.plan import Step


def observe(planner: Any, obs: Any) -> dict[str, Any]:
    return {}


def plan_steps(planner: Any, obs: Any) -> list[Step]:
    return []


def apply_step(applier: Any, step: Step, emit: Any) -> str:
    raise NotImplementedError(step.kind)
