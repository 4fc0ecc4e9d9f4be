"""Onboard AWS accounts: says what it will do; disabled until the onboarding engine exists.

Honest by design: the welcome screen greys the journey out, and this screen explains why and what
to do meanwhile, instead of pretending.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Static

WHAT = """\
Onboarding adds one more AWS account to an existing workload identity pool: an AWS provider for the
account (its attribute condition built from the roles you allow) and roles/iam.workloadIdentityUser
bindings for those roles, then a credential configuration per account.

Many accounts at once — from a list, or every account in an AWS Organization — run with bounded
concurrency, progress per account, and a journal so an interrupted run resumes where it stopped.
"""

NOT_YET = """\
The onboarding engine (wizard/engine/onboarding.py) is not in this build yet, so this journey is off.
Meanwhile, run "AWS role → Google Cloud" once per account with the same pool: each run adds that
account's provider and bindings, and leaves the others as they are.
"""


class OnboardScreen(Screen[None]):
    BINDINGS = [Binding("escape", "close", "Back", id="onboard-back")]

    def compose(self) -> ComposeResult:
        available = getattr(self.app, "onboarding_available", False)
        yield Header()
        with VerticalScroll(id="step-body"):
            yield Static("Onboard AWS accounts", classes="step-title", markup=False)
            yield Static(WHAT, classes="step-why", markup=False)
            yield Static("Onboarding is available: use `xwiz onboard` for now." if available else NOT_YET,
                         id="onboard-status", classes="note", markup=False)
        with Horizontal(id="step-nav"):
            yield Static("", id="step-reason", markup=False)
            yield Button("Back", id="back")
            yield Button("Start onboarding", id="next", variant="primary", disabled=True)
        yield Footer()

    @on(Button.Pressed, "#back")
    def action_close(self) -> None:
        self.dismiss(None)
