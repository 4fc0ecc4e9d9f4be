"""Apply: progress per operation, cancellable, ending on where the files went and what is next."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Static

from wizard.model.spec import SPEC_FILE

from ..context import one_line, shown_path, shown_text
from ..messages import ApplyFinished, ApplyProgress

ICON = {"pending": ("·", "$text-muted"), "started": ("…", "$text-primary"), "progress": ("…", "$text-primary"),
        "finished": ("✓", "$text-success"), "failed": ("✗", "$text-error"), "skipped": ("-", "$text-warning"),
        "warning": ("!", "$text-warning")}


class ApplyScreen(Screen[str | None]):
    """Dismisses with "doctor" when the user asks to check the result, else None."""

    BINDINGS = [
        Binding("escape", "cancel_or_close", "Cancel / Done", id="apply-cancel"),
        Binding("d", "doctor", "Doctor", id="apply-doctor"),
    ]

    def __init__(self, spec: Any, plan: Any, planner: Any, spec_path: Path | None = None) -> None:
        super().__init__()
        self.spec = spec
        self.spec_path = spec_path
        self.plan = plan
        self.planner = planner
        self.cancel = threading.Event()
        self.rows: dict[str, tuple[str, str]] = {s.id: ("pending", s.summary) for s in plan.steps}
        self.finished = False
        self.result: Any = None

    @property
    def ctx(self) -> Any:
        return self.app.context  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Applying", id="apply-title", classes="step-title", markup=False)
        with VerticalScroll(id="apply-body"):
            yield Static("", id="progress")
            yield Static("", id="outcome")
        with Horizontal(id="step-nav"):
            yield Static("", id="step-reason", markup=False)
            yield Button("Cancel", id="cancel", variant="error")
            yield Button("Run doctor", id="doctor", disabled=True)
            yield Button("Done", id="done", variant="primary", disabled=True)
        yield Footer()

    def on_mount(self) -> None:
        self._render_progress()
        self.run_apply()

    def on_unmount(self) -> None:
        self.cancel.set()  # leaving the screen stops the applier before its next step

    @work(thread=True, exclusive=True, exit_on_error=False, group="apply")
    def run_apply(self) -> None:
        from wizard.engine.applier import Applier

        try:
            applier = Applier(self.ctx.services, self.planner)
            result = applier.apply(self.plan, on_event=lambda e: self.post_message(ApplyProgress(e)),
                                   cancel=self.cancel)
        except Exception as e:  # reported, never raised out of the worker
            self.post_message(ApplyFinished(None, one_line(e)))
            return
        self.post_message(ApplyFinished(result))

    @on(ApplyProgress)
    def _progress(self, message: ApplyProgress) -> None:
        event = message.event
        if event.kind == "warning":
            status = self.rows.get(event.step_id, ("started", ""))[0]
            self.rows[event.step_id] = (status, event.message)
        else:
            self.rows[event.step_id] = (event.kind, event.message or self.rows.get(event.step_id, ("", ""))[1])
        self._render_progress()

    def _render_progress(self) -> None:
        base = Path(self.ctx.base_dir)
        lines = []
        for step in self.plan.steps:
            status, text = self.rows.get(step.id, ("pending", step.summary))
            icon, style = ICON.get(status, ("?", ""))
            lines.append(Content.from_markup(f"[{style}]$icon[/] $id  [$text-muted]$text[/]", icon=icon,
                                             id=shown_text(step.id, base), text=shown_text(text, base)))
        self.query_one("#progress", Static).update(Content("\n").join(lines))

    @on(ApplyFinished)
    def _finished(self, message: ApplyFinished) -> None:
        self.finished = True
        self.result = message.result
        ok = message.result is not None and message.result.ok
        self.query_one("#cancel", Button).display = False
        self.query_one("#done", Button).disabled = False
        self.query_one("#doctor", Button).disabled = not getattr(self.app, "doctor_available", False)
        title = self.query_one("#apply-title", Static)
        if ok:
            title.update("Apply complete")
        elif message.result is not None and message.result.cancelled:
            title.update("Apply cancelled: run it again to pick up where it stopped")
        else:
            title.update("Apply did not finish")
        self.query_one("#outcome", Static).update(self.outcome(message))
        self.query_one("#done", Button).focus()

    def outcome(self, message: ApplyFinished) -> Content:
        from wizard.engine.next_steps import next_steps

        base = Path(self.ctx.base_dir)
        lines: list[Content] = [Content("")]
        if message.error:
            lines.append(Content.from_markup("[$text-error]✗ $e[/]", e=shown_text(message.error, base)))
        result = message.result
        if result is not None:
            for step_id, why in result.failed.items():
                lines.append(Content.from_markup("[$text-error]✗ $s: $w[/]", s=step_id, w=shown_text(why, base)))
        lines.append(Content.from_markup("[b]Spec saved:[/b] $p", p=shown_path(self.spec_path or base / SPEC_FILE)))
        for entry in (*self.spec.aws_to_gcp, *self.spec.eks_to_gcp):
            path = base / entry.credential_config
            if path.exists():
                lines.append(Content.from_markup("[b]Credential configuration:[/b] $p", p=shown_path(path)))
        for entry in self.spec.gcp_to_aws:
            if entry.profile:
                lines.append(Content.from_markup("[b]AWS profile:[/b] $p", p=entry.profile))
        if result is not None and result.ok:
            for line in next_steps(self.spec, base):
                lines.append(Content(shown_text(line, base)))
        else:
            lines.append(Content("Fix the cause and apply again (the review screen, or `xwiz apply`): "
                                 "it picks up where it stopped."))
        return Content("\n").join(lines)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.cancel.set()
        self.query_one("#step-reason", Static).update("Cancelling after the operations in flight…")
        self.query_one("#cancel", Button).disabled = True

    def action_cancel_or_close(self) -> None:
        if self.finished:
            self.dismiss(None)
        else:
            self._cancel()

    @on(Button.Pressed, "#done")
    def _done(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#doctor")
    def action_doctor(self) -> None:
        if self.finished and getattr(self.app, "doctor_available", False):
            self.dismiss("doctor")
