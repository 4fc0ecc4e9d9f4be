"""Onboarding, step 3: the plan per account (`Onboarder.plan`, reads only), then the confirm dialog.

Planning fails early, with Google's number, when the pool would go over its provider limit; the plan
shows how close it is either way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Static

from wizard.model.spec import dump_spec

from ..context import Draft, StepResult, one_line, shown_path, shown_text
from ..dialogs.confirm import ConfirmDialog
from . import inputs
from .messages import OnboardPlanFailed, OnboardPlanReady

SYMBOL = {"create": "+", "update": "~", "undelete": "↺", "same": "=", "in-spec": "=", "pending": "?",
          "refused": "✗"}
STYLE = {"create": "$text-success", "update": "$text-warning", "undelete": "$text-warning", "same": "$text-muted",
         "in-spec": "$text-muted", "pending": "$text-primary", "refused": "$text-error"}
MAX_DIFF_LINES = 6


def build_onboarder(services: Any, draft: Draft, detected_project: str | None) -> tuple[Any, list[Any]]:
    """The Onboarder and the account requests for what the steps collected (the same as `xwiz onboard`)."""
    from wizard.engine.onboarding import Onboarder, OnboardOptions

    state: inputs.SpecState = draft.get("_state")
    direction = draft.get("direction")
    if direction == "aws-to-gcp":
        service_account = draft.get("a2g_service_account")
        options = OnboardOptions(direction=direction, service_account=service_account,
                                 concurrency=draft.get("concurrency"))
    else:
        service_account = draft.get("g2a_service_account")
        options = OnboardOptions(direction=direction, service_account=service_account,
                                 concurrency=draft.get("concurrency"), admin_role=draft.get("admin_role"),
                                 role_name=draft.get("role_name"), audience=draft.get("audience"),
                                 policies=tuple(draft.get("policies") or ()))
    spec = inputs.onboard_spec(state, service_account, detected_project)
    requests = inputs.requests_for(tuple(draft.get("accounts") or ()), direction, tuple(draft.get("roles") or ()))
    return Onboarder(services, spec, options=options, spec_path=state.path), requests


def plan_content(plan: Any, base: Path | None = None) -> Content:
    """The OnboardPlan as the user reads it: the pool's headroom, then one block per account."""
    facts = plan.facts
    counts = plan.counts()
    parts = [Content.from_markup("[b]$n:[/b] $c", n=_accounts(len(plan.accounts)),
                                 c=", ".join(f"{n} {a}" for a, n in sorted(counts.items())))]
    members_prefix = None
    if plan.direction == "aws-to-gcp":
        # Every member is a principal set of this pool: say so once, show the part that differs.
        members_prefix = (f"principalSet://iam.googleapis.com/projects/{facts.get('project_number')}/locations/"
                          f"global/workloadIdentityPools/{facts.get('pool')}/")
        creates = counts.get("create", 0)
        now, limit = facts.get("providers_in_pool", 0), facts.get("provider_limit", 0)
        parts.append(Content.from_markup(
            "Pool [b]$p[/b]: $now provider(s) now, $after after, of Google's limit of $limit per pool",
            p=facts.get("pool", ""), now=str(now), after=str(now + creates), limit=str(limit)))
        parts.append(Content.from_markup("Service account [b]$s[/b]: $n new binding(s) of "
                                         "roles/iam.workloadIdentityUser for principal sets $p…",
                                         s=facts.get("service_account", ""), n=str(plan.new_bindings),
                                         p=members_prefix))
    else:
        parts.append(Content.from_markup(
            "Role [b]$r[/b] in each account, through $a; trusts [b]$s[/b] (audience $aud)",
            r=facts.get("role_name", ""), a=facts.get("admin_role", ""), s=facts.get("service_account", ""),
            aud=facts.get("audience", "")))
    for warning in plan.warnings:
        parts.append(Content.from_markup("[$text-warning]! $w[/]", w=shown_text(warning, base)))
    parts.append(Content(""))
    for a in plan.accounts:
        style = STYLE.get(a.action, "")
        label = f"{a.account_id}" + (f" ({a.name})" if a.name else "")
        parts.append(Content.from_markup(f"[{style}]$sym $label  $summary[/]", sym=SYMBOL.get(a.action, "?"),
                                         label=label, summary=shown_text(a.summary, base)))
        for line in a.diff[:MAX_DIFF_LINES]:
            if members_prefix:
                line = line.replace(members_prefix, "principalSet://…/")
            parts.append(Content.from_markup("[$text-muted]      $l[/]", l=shown_text(line, base)))
        if len(a.diff) > MAX_DIFF_LINES:
            parts.append(Content(f"      … {len(a.diff) - MAX_DIFF_LINES} more lines"))
        for warning in a.warnings:
            parts.append(Content.from_markup("[$text-warning]      ! $w[/]", w=shown_text(warning, base)))
    return Content("\n").join(parts)


def _accounts(n: int) -> str:
    return f"{n} account" if n == 1 else f"{n} accounts"


class OnboardPlanScreen(Screen[StepResult]):
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the options; nothing changed", id="step-back"),
        Binding("ctrl+n", "next", "Onboard…", tooltip="Confirm, then onboard", id="step-next"),
    ]

    def __init__(self, draft: Draft, journey: str = "", position: tuple[int, int] = (1, 1)) -> None:
        super().__init__()
        self.draft = draft
        self.journey = journey
        self.position = position
        self.plan: Any = None
        self.onboarder: Any = None
        self.requests: list[Any] = []
        self.error: str | None = None

    @property
    def ctx(self) -> Any:
        return self.app.context  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="step-body", can_focus=False):
            index, total = self.position
            yield Static(f"{self.journey} · step {index} of {total}", classes="step-crumb", markup=False)
            yield Static("Plan: nothing has changed yet", classes="step-title", markup=False)
            yield Static("Reading the pool, its providers and the service account's policy…", id="onboard-plan")
        with Horizontal(id="step-nav"):
            yield Static("", id="step-reason", markup=False)
            yield Button("Back", id="back")
            yield Button("Onboard…", id="next", variant="primary", disabled=True)
        yield Footer()

    def on_mount(self) -> None:
        self.make_plan()

    @work(thread=True, exclusive=True, exit_on_error=False, group="onboard-plan")
    def make_plan(self) -> None:
        try:
            onboarder, requests = build_onboarder(self.ctx.services, self.draft, self.ctx.detected.google_project)
            plan = onboarder.plan(requests, probe=True)
        except Exception as e:  # the limit check, a missing pool, a permission: one line on the screen
            self.post_message(OnboardPlanFailed(one_line(e)))
            return
        self.post_message(OnboardPlanReady(plan, onboarder, tuple(requests)))

    @on(OnboardPlanReady)
    def _ready(self, message: OnboardPlanReady) -> None:
        self.plan, self.onboarder, self.requests = message.plan, message.onboarder, list(message.requests)
        self.query_one("#onboard-plan", Static).update(plan_content(self.plan, Path(self.ctx.base_dir)))
        button = self.query_one("#next", Button)
        button.disabled = False
        button.focus()

    @on(OnboardPlanFailed)
    def _failed(self, message: OnboardPlanFailed) -> None:
        self.error = message.error
        self.query_one("#onboard-plan", Static).update(
            Content.from_markup("[$text-error]✗ Could not plan: $e[/]", e=shown_text(message.error)))
        self.query_one("#step-reason", Static).update("✗ planning failed: go Back and change the accounts or roles")

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.dismiss(StepResult("back", self.draft))

    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        if self.plan is None:
            self.app.bell()
            return
        question, detail = self.confirm_text()
        self.app.push_screen(ConfirmDialog(question, detail, yes="Onboard", no="Not yet"), self._confirmed)

    def confirm_text(self) -> tuple[str, str]:
        plan, state = self.plan, self.draft.get("_state")
        n = inputs.summary_of(plan.accounts)
        changing = sum(1 for a in plan.accounts if a.changes)
        if plan.direction == "aws-to-gcp":
            question = f"Onboard {n} into pool {plan.facts['pool']}?"
        else:
            question = f"Create or update role {plan.facts['role_name']} in {n}?"
        counts = ", ".join(f"{count} {action}" for action, count in sorted(plan.counts().items()))
        lines = [f"{changing} of {n} change ({counts})." if changing else "Nothing needs to change: the run "
                 "only verifies and records the accounts."]
        where = shown_path(state.path)
        if not state.on_disk:
            lines.append(f"Creates {where} first.")
        lines.append(f"Onboarded accounts are added to {where} (the rest of the file is kept as it is).")
        lines.append("Progress goes to a journal next to it: run again after a stop and it resumes.")
        return question, " ".join(lines)

    def _confirmed(self, yes: bool | None) -> None:
        if not yes:
            return
        state: inputs.SpecState = self.draft.get("_state")
        if not state.on_disk:
            try:
                state.path.write_text(dump_spec(self.onboarder.spec), encoding="utf-8")
            except OSError as e:
                self.query_one("#step-reason", Static).update(f"✗ could not write {shown_path(state.path)}: "
                                                              f"{one_line(e)}")
                return
        self.dismiss(StepResult("next", self.draft.with_values(_plan=self.plan, _onboarder=self.onboarder,
                                                               _requests=tuple(self.requests))))
