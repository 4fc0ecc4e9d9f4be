"""The diagnostics pane: each check's live status, a detail view, fix, rerun, copy the JSON report."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, Static

from ..context import one_line, shown_text
from ..messages import CheckUpdated, DoctorFinished, FixFinished
from .source import CheckView, RunnerSource, report_json

STATUS = {"pending": ("·", "$text-muted"), "running": ("…", "$text-primary"), "pass": ("✓", "$text-success"),
          "warn": ("!", "$text-warning"), "fail": ("✗", "$text-error"), "skip": ("-", "$text-muted"),
          "error": ("☠", "$text-error")}


class DoctorScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "close", "Back", id="doctor-back"),
        Binding("r", "rerun", "Rerun", tooltip="Run every check again", id="doctor-rerun"),
        Binding("f", "fix", "Fix", tooltip="Re-apply xwiz.toml to repair the selected cause", id="doctor-fix"),
        Binding("c", "copy_report", "Copy JSON", tooltip="Copy the JSON report to the clipboard", id="doctor-copy"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.views: dict[str, CheckView] = {}
        self.report: dict[str, Any] = {}
        self.cancel = threading.Event()
        self.running = False

    @property
    def ctx(self) -> Any:
        return self.app.context  # type: ignore[attr-defined]

    def source(self) -> Any:
        given = getattr(self.app, "check_source", None)
        if given is not None:
            return given
        return RunnerSource(self.ctx.services, self.ctx.spec, self.ctx.base_dir)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Doctor: every step of the exchange, live", classes="step-title", markup=False)
        with Vertical(id="doctor-body"):
            yield DataTable(id="checks", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="detail"):
                yield Static("", id="detail-text")
        with Horizontal(id="step-nav"):
            yield Static("", id="step-reason", markup=False)
            yield Button("Fix", id="fix", disabled=True)
            yield Button("Rerun", id="rerun")
            yield Button("Back", id="back")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#checks", DataTable)
        table.add_column("", key="status", width=2)
        table.add_column("check", key="id")
        table.add_column("summary", key="summary")
        if not getattr(self.app, "doctor_available", False):
            self.query_one("#detail-text", Static).update(
                "The checks (checks/runner.py) are not in this build yet, so the doctor has nothing to run.")
            self.query_one("#rerun", Button).disabled = True
            return
        if self.ctx.spec is None and getattr(self.app, "check_source", None) is None:
            self.query_one("#detail-text", Static).update(
                "There is no xwiz.toml here yet, so there is nothing to diagnose. Run a journey first (it saves "
                "xwiz.toml), or start xwiz where your xwiz.toml is; `xwiz doctor --cred-config FILE` diagnoses a "
                "workload from its credential configuration alone.")
            self.query_one("#rerun", Button).disabled = True
            return
        self.action_rerun()

    def on_unmount(self) -> None:
        self.cancel.set()

    # -- running ---------------------------------------------------------------------------------
    def action_rerun(self) -> None:
        if self.running or not getattr(self.app, "doctor_available", False):
            return
        self.running = True
        self.cancel = threading.Event()
        self.query_one("#rerun", Button).disabled = True
        self.run_checks(self.cancel)

    @work(thread=True, exclusive=True, exit_on_error=False, group="doctor")
    def run_checks(self, cancel: threading.Event) -> None:
        source = self.source()
        try:
            for view in source.list_checks():
                self.post_message(CheckUpdated(view))
            report = source.run(lambda v: self.post_message(CheckUpdated(v)), cancel)
        except Exception as e:
            self.post_message(DoctorFinished({}, one_line(e)))
            return
        self.post_message(DoctorFinished(report or {}))

    @on(CheckUpdated)
    def _updated(self, message: CheckUpdated) -> None:
        view: CheckView = message.check
        self.views[view.id] = view
        table = self.query_one("#checks", DataTable)
        icon, style = STATUS.get(view.status, ("?", ""))
        cells = (Content.from_markup(f"[{style}]$i[/]", i=icon), view.id, shown_text(view.summary or view.title))
        if view.id in table.rows:
            for key, value in zip(("status", "id", "summary"), cells):
                table.update_cell(view.id, key, value)
        else:
            table.add_row(*cells, key=view.id)
        self._show_selected()

    @on(DoctorFinished)
    def _finished(self, message: DoctorFinished) -> None:
        self.running = False
        self.report = message.report or report_json(list(self.views.values()))
        self.query_one("#rerun", Button).disabled = False
        failing = [v for v in self.views.values() if v.status in ("fail", "error")]
        if message.error:
            self.query_one("#step-reason", Static).update(f"✗ {shown_text(message.error)}")
        else:
            passed = sum(1 for v in self.views.values() if v.status in ("pass", "warn"))
            self.query_one("#step-reason", Static).update(
                f"{passed}/{len(self.views)} checks passed" + (f"; {len(failing)} failing" if failing else ""))
        if failing:
            table = self.query_one("#checks", DataTable)
            table.move_cursor(row=table.get_row_index(failing[0].id))
        self._show_selected()

    # -- detail ------------------------------------------------------------------------------------
    def selected(self) -> CheckView | None:
        table = self.query_one("#checks", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return self.views.get(str(key.value))

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        view = self.selected()
        fix = self.query_one("#fix", Button)
        fix.disabled = not (view and view.fixable and self.ctx.spec is not None and not self.running)
        if view is None:
            return
        base = Path(self.ctx.base_dir)
        lines = [Content.from_markup("[b]$t[/b]  [$text-muted]$id[/]", t=view.title, id=view.id)]
        icon, style = STATUS.get(view.status, ("?", ""))
        lines.append(Content.from_markup(f"[{style}]$i $s[/]  $sum", i=icon, s=view.status,
                                         sum=shown_text(view.summary, base)))
        if view.cause:
            lines.append(Content.from_markup("[b]cause[/b]  $c", c=view.cause))
        if view.evidence:
            lines.append(Content.from_markup("[b]evidence[/b]"))
            for key, value in view.evidence.items():
                text = value if isinstance(value, str) else json.dumps(value)
                lines.append(Content.from_markup("  $k: $v", k=str(key), v=shown_text(text, base)))
        if view.remediation or view.commands:
            lines.append(Content.from_markup("[b]fix[/b]  $r", r=shown_text(view.remediation, base)))
            for command in view.commands:
                lines.append(Content.from_markup("  [$text-accent]$ $c[/]", c=shown_text(command, base)))
        if view.fixable and self.ctx.spec is not None:
            lines.append(Content.from_markup("[$text-success]xwiz can fix this: press f (re-applies xwiz.toml)[/]"))
        self.query_one("#detail-text", Static).update(Content("\n").join(lines))

    # -- actions ---------------------------------------------------------------------------------------
    @on(Button.Pressed, "#rerun")
    def _rerun_pressed(self) -> None:
        self.action_rerun()

    @on(Button.Pressed, "#fix")
    def action_fix(self) -> None:
        view = self.selected()
        if not (view and view.fixable and self.ctx.spec is not None) or self.running:
            self.app.bell()
            return
        self.running = True
        self.query_one("#fix", Button).disabled = True
        self.query_one("#step-reason", Static).update(f"Fixing {view.cause}: re-applying xwiz.toml…")
        self.run_fix()

    @work(thread=True, exclusive=True, exit_on_error=False, group="fix")
    def run_fix(self) -> None:
        from wizard.engine.applier import Applier
        from wizard.engine.planner import Planner

        try:
            planner = Planner(self.ctx.services, self.ctx.spec, self.ctx.base_dir)
            plan = planner.plan()
            result = Applier(self.ctx.services, planner).apply(plan)
        except Exception as e:
            self.post_message(FixFinished(False, one_line(e)))
            return
        changed = [s.id for s in plan.steps if s.changes]
        summary = (f"re-applied: {', '.join(changed)}" if changed else "nothing to change") if result.ok \
            else f"apply failed: {'; '.join(result.failed.values())}"
        self.post_message(FixFinished(result.ok, summary))

    @on(FixFinished)
    def _fixed(self, message: FixFinished) -> None:
        self.running = False
        self.query_one("#step-reason", Static).update(("✓ " if message.ok else "✗ ") + shown_text(message.summary)
                                                      + (" — checking again" if message.ok else ""))
        if message.ok:
            self.action_rerun()

    def action_copy_report(self) -> None:
        report = self.report or report_json(list(self.views.values()))
        self.app.copy_to_clipboard(json.dumps(report, indent=2))
        self.notify("JSON report copied to the clipboard.", timeout=3)

    @on(Button.Pressed, "#back")
    def action_close(self) -> None:
        self.dismiss(None)
