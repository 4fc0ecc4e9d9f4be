"""Messages the screens' thread workers post back (the only way a worker talks to the UI).

Named for what happened. Progress messages that only matter as "the latest" replace each other
(`can_replace`, as toolong does), so a burst of events never floods the queue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message


@dataclass
class ServicesReady(Message):
    """The cloud services are usable (an in-process sandbox finished starting, say)."""

    services: Any
    note: str = ""


@dataclass
class ServicesFailed(Message):
    """Starting the services failed; `error` is one line for the user."""

    error: str


@dataclass
class IdentityDetected(Message):
    """What the welcome screen found out about who the user is on each cloud."""

    detected: Any
    """A `screens.context.Detected`."""


@dataclass
class SuggestionsReady(Message, bubble=False):
    """Values read from a cloud to offer in a step (roles, pools, service accounts, clusters)."""

    kind: str
    values: tuple[str, ...] = ()
    note: str = ""
    """Why there are none, when there are none (an API is off, a permission is missing)."""


@dataclass
class PlanReady(Message, bubble=False):
    plan: Any
    planner: Any
    commands: str | None = None
    """Equivalent gcloud/aws commands and Terraform for the changes, when the exporter is present."""


@dataclass
class PlanFailed(Message, bubble=False):
    error: str


@dataclass
class ApplyProgress(Message, bubble=False):
    """One ApplyEvent from the applier's `on_event`."""

    event: Any


@dataclass
class ApplyFinished(Message, bubble=False):
    result: Any
    """The applier's ApplyResult, or None when apply could not start."""
    error: str = ""


@dataclass
class CheckUpdated(Message, bubble=False):
    """A check changed state in the doctor pane (started, finished, …)."""

    check: Any
    """A `screens.doctor.source.CheckView`."""


@dataclass
class DoctorFinished(Message, bubble=False):
    report: dict[str, Any] = field(default_factory=dict)
    error: str = ""


@dataclass
class FixFinished(Message, bubble=False):
    """A doctor fix (a re-apply of the spec) ended; `ok` when it changed what it had to."""

    ok: bool
    summary: str
