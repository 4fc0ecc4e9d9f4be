"""Step: review. The plan as a diff, the equivalent commands and the xwiz.toml to be saved.

Nothing has changed anywhere until the confirm dialog says yes; then the spec is saved and the
journey moves on to apply. Planning reads only, in a thread worker.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Static, TabbedContent, TabPane

from wizard.model.errors import XwizError
from wizard.model.spec import SPEC_FILE

from ..context import Draft, StepResult, one_line, shown_path, shown_text
from ..dialogs.confirm import ConfirmDialog
from ..messages import PlanFailed, PlanReady
from ..widgets.plan_view import PlanView
from .spec_save import SaveChoice, choose_save, write_spec


def export_commands(spec: Any, obs: Any, planner: Any) -> str | None:
    """Equivalent gcloud/aws commands and Terraform for the plan's changes (wizard.engine.export)."""
    if importlib.util.find_spec("wizard.engine.export") is None:
        return None
    from wizard.engine import export  # noqa: PLC0415 — optional in older builds

    items = export.collect(spec, obs.number, obs, planner)
    return "# gcloud / aws commands\n" + export.to_shell(items) + "\n# Terraform\n" + export.to_terraform(items)


class ReviewScreen(Screen[StepResult]):
    TITLE_TEXT = "Review"
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back to the last step; nothing changed", id="step-back"),
        Binding("ctrl+n", "next", "Apply…", tooltip="Confirm, save xwiz.toml and apply", id="step-next"),
    ]

    def __init__(self, draft: Draft, journey: str = "", position: tuple[int, int] = (1, 1), *,
                 build_spec: Any = None) -> None:
        super().__init__()
        self.draft = draft
        self.journey = journey
        self.position = position
        self.build_spec = build_spec
        self.spec: Any = None
        self.save: SaveChoice | None = None
        self.plan: Any = None
        self.planner: Any = None
        self.error: str | None = None

    @property
    def ctx(self) -> Any:
        return self.app.context  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield Header()
        index, total = self.position
        yield Static(f"{self.journey} · step {index} of {total}", classes="step-crumb", markup=False)
        yield Static("Review: nothing has changed yet", classes="step-title", markup=False)
        with TabbedContent(id="review-tabs"):
            with TabPane("Plan", id="tab-plan"):
                with VerticalScroll():
                    yield Static("", id="save-note", classes="save-note", markup=False)
                    yield PlanView("Reading what exists…", id="plan")
            with TabPane("Commands", id="tab-commands"):
                with VerticalScroll():
                    yield Static("", id="commands", markup=False)
            with TabPane(SPEC_FILE, id="tab-spec"):
                with VerticalScroll():
                    yield Static("", id="spec-text", markup=False)
        with Horizontal(id="step-nav"):
            yield Static("", id="step-reason", markup=False)
            yield Button("Back", id="back")
            yield Button("Apply…", id="next", variant="primary", disabled=True)
        yield Footer()

    def on_mount(self) -> None:
        try:
            self.save = choose_save(Path(self.ctx.base_dir), self.build_spec(self.draft))
        except XwizError as e:
            self.error = one_line(e)
            self.query_one("#plan", PlanView).update(f"✗ {self.error}")
            self.query_one("#step-reason", Static).update("✗ fix the value above: go Back")
            return
        # The plan is the whole saved file's: what `xwiz apply` of it touches, other entries included.
        self.spec = self.save.spec
        self.query_one("#save-note", Static).update(self.save_note())
        self.query_one("#spec-text", Static).update(self.save.text)
        self.make_plan()

    def save_note(self) -> str:
        save = self.save
        if save.redirected:
            return f"! {save.conflict}: this journey's spec goes to {shown_path(save.path)} (the plan is that file's)"
        if save.merge.action == "create":
            return f"Saving {save.summary()}."
        return f"Saving {save.summary()}: the plan covers the whole file."

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan")
    def make_plan(self) -> None:
        from wizard.engine.planner import Planner

        try:
            planner = Planner(self.ctx.services, self.spec, self.ctx.base_dir)
            observed = planner.observe()
            plan = planner.plan_from(observed)
        except Exception as e:  # a worker never lets an exception escape: it reports it
            self.post_message(PlanFailed(one_line(e)))
            return
        try:
            commands = export_commands(self.spec, observed, planner)
        except Exception as e:  # the export is a courtesy: its failure must not block the review
            commands = f"# the export failed: {one_line(e)}"
        self.post_message(PlanReady(plan, planner, commands))

    @on(PlanReady)
    def _plan_ready(self, message: PlanReady) -> None:
        self.plan, self.planner = message.plan, message.planner
        base = Path(self.ctx.base_dir)
        self.query_one("#plan", PlanView).show_plan(self.plan, base)
        commands = message.commands
        self.query_one("#commands", Static).update(shown_text(commands, base) if commands else (
            "The export of equivalent gcloud / aws commands and Terraform (wizard/engine/export.py) is not in "
            "this build yet. The plan tab lists every change; `xwiz plan` and `xwiz apply` with the "
            "xwiz.toml tab's content do the same from a shell."))
        blocked = self.blocking_reason()
        self.query_one("#next", Button).disabled = blocked is not None
        self.query_one("#step-reason", Static).update(f"✗ {blocked}" if blocked else "")
        if blocked is None:
            self.query_one("#next", Button).focus()

    def blocking_reason(self) -> str | None:
        """Why Apply stays off even with a plan (a journey whose engine part is missing)."""
        if self.spec is not None and self.spec.gcp_to_aws and not any(
                s.kind in ("role", "trust_policy") for s in self.plan.steps):
            return "the Google Cloud → AWS engine steps are not in this build yet; nothing to apply"
        return None

    @on(PlanFailed)
    def _plan_failed(self, message: PlanFailed) -> None:
        self.error = message.error
        self.query_one("#plan", PlanView).update(f"✗ Could not plan: {shown_text(message.error)}")
        self.query_one("#step-reason", Static).update("✗ planning failed: go Back, or fix access and retry")

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.dismiss(StepResult("back", self.draft))

    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        if self.plan is None or self.query_one("#next", Button).disabled:
            self.app.bell()
            return
        counts = ", ".join(f"{n} {a}" for a, n in self.plan.counts().items() if a != "same") or "no changes"
        question = f"Apply {counts} to project {self.spec.gcp.project}?"
        if not self.plan.has_changes:
            question = f"Nothing needs to change. Save {self.save.path.name} and show the next steps?"
        yes = f"Save as {self.save.path.name} and apply" if self.save.redirected else "Apply"
        self.app.push_screen(ConfirmDialog(question, self.save.confirm_detail(), yes=yes, no="Not yet"),
                             self._confirmed)

    def _confirmed(self, yes: bool | None) -> None:
        if not yes:
            return
        try:
            path = write_spec(self.save)
        except OSError as e:
            self.query_one("#step-reason", Static).update(f"✗ could not save: {one_line(e)}")
            return
        self.dismiss(StepResult("next", self.draft.with_values(_spec=self.spec, _plan=self.plan,
                                                               _planner=self.planner, _spec_path=path)))
