"""What the onboarding workers post back: the only way they talk to the UI."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class OrganizationListed(Message, bubble=False):
    """AWS Organizations discovery answered: the ACTIVE accounts (AccountRequests), or why not."""

    accounts: tuple[Any, ...] = ()
    error: str = ""


@dataclass
class OnboardPlanReady(Message, bubble=False):
    plan: Any
    """An OnboardPlan."""
    onboarder: Any
    requests: tuple[Any, ...] = ()
    """The AccountRequests the plan is for (the run takes the same)."""


@dataclass
class OnboardPlanFailed(Message, bubble=False):
    error: str


@dataclass
class OnboardProgress(Message, bubble=False):
    """One OnboardEvent from `Onboarder.run(on_event=…)`; every one matters (per-account rows)."""

    event: Any


@dataclass
class OnboardFinished(Message, bubble=False):
    report: Any
    """An OnboardReport, or None when the run could not start."""
    error: str = ""
