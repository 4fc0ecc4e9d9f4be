"""Onboarding, the run: a progress bar, a live row per account, cancel, and the final report.

`Onboarder.run` works in a thread worker; its `on_event` posts each OnboardEvent as a message, and
only the handler here touches widgets. Cancelling (or leaving the screen) sets the run's cancel
event: accounts in flight finish, the others are skipped, and running again resumes from the journal.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, ProgressBar, Static

from ..context import Draft, one_line, shown_path, shown_text
from .messages import OnboardFinished, OnboardProgress

STATUS = {"pending": ("·", "pending", "$text-muted"), "started": ("…", "working", "$text-primary"),
          "retrying": ("…", "retrying", "$text-warning"), "finished": ("✓", "done", "$text-success"),
          "failed": ("✗", "failed", "$text-error"), "skipped": ("-", "skipped", "$text-warning"),
          "unchanged": ("=", "unchanged", "$text-muted")}
ENDED = ("finished", "failed", "skipped", "unchanged")
COLUMNS = (("account", "Account"), ("target", "Target"), ("status", "Status"), ("detail", "Detail"))


def status_cell(kind: str) -> Content:
    icon, word, style = STATUS[kind]
    return Content.from_markup(f"[{style}]$i $w[/]", i=icon, w=word)


class OnboardRunScreen(Screen[str | None]):
    """Dismisses with "again" when the user asks to run again (it resumes), else None."""

    DEFAULT_CSS = """
    OnboardRunScreen #run-body { height: 1fr; padding: 0 2; }
    OnboardRunScreen #run-progress { margin: 1 0 0 0; height: auto; }
    OnboardRunScreen #run-counts { color: $text-muted; height: auto; }
    OnboardRunScreen #run-table { height: 1fr; min-height: 4; margin-top: 1; }
    OnboardRunScreen #run-outcome { height: auto; max-height: 12; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "cancel_or_close", "Cancel / Done", id="onboard-cancel")]

    def __init__(self, draft: Draft, journey: str = "", position: tuple[int, int] = (1, 1)) -> None:
        super().__init__()
        self.draft = draft
        self.journey = journey
        self.position = position
        self.plan = draft.get("_plan")
        self.onboarder = draft.get("_onboarder")
        self.requests = list(draft.get("_requests") or ())
        self.cancel = threading.Event()
        self.kinds: dict[str, str] = {a.account_id: "pending" for a in self.plan.accounts}
        self.finished = False
        self.report: Any = None

    @property
    def ctx(self) -> Any:
        return self.app.context  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield Header()
        index, total = self.position
        yield Static(f"{self.journey} · step {index} of {total}", classes="step-crumb", markup=False)
        yield Static(f"Onboarding {len(self.plan.accounts)} account(s)", id="run-title", classes="step-title",
                     markup=False)
        with Vertical(id="run-body"):
            yield ProgressBar(total=len(self.plan.accounts), show_eta=False, id="run-progress")
            yield Static("", id="run-counts", markup=False)
            yield DataTable(id="run-table", cursor_type="row", zebra_stripes=False)
            yield Static("", id="run-outcome")
        with Horizontal(id="step-nav"):
            yield Static("", id="step-reason", markup=False)
            yield Button("Cancel", id="cancel", variant="error")
            yield Button("Run again", id="again", disabled=True)
            yield Button("Done", id="done", variant="primary", disabled=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#run-table", DataTable)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        base = Path(self.ctx.base_dir)
        for a in self.plan.accounts:
            table.add_row(a.account_id, a.target, status_cell("pending"), shown_text(a.summary, base),
                          key=a.account_id)
        self._render_counts()
        self.run_onboarding()

    def on_unmount(self) -> None:
        self.cancel.set()  # leaving the screen stops the run before its next account

    @work(thread=True, exclusive=True, exit_on_error=False, group="onboard")
    def run_onboarding(self) -> None:
        try:
            report = self.onboarder.run(self.requests, on_event=lambda e: self.post_message(OnboardProgress(e)),
                                        cancel=self.cancel, plan=self.plan)
        except Exception as e:  # reported, never raised out of the worker
            self.post_message(OnboardFinished(None, one_line(e)))
            return
        self.post_message(OnboardFinished(report))

    # -- live rows --------------------------------------------------------------------------------
    @on(OnboardProgress)
    def _progress(self, message: OnboardProgress) -> None:
        event = message.event
        if event.account_id is None or event.account_id not in self.kinds:
            return  # run-level events ("planned", "spec"): the final report says the same
        table = self.query_one("#run-table", DataTable)
        base = Path(self.ctx.base_dir)
        if event.kind in STATUS:
            if self.kinds[event.account_id] in ENDED and event.kind not in ENDED:
                return  # a late "retrying" never undoes an account's end
            self.kinds[event.account_id] = event.kind
            table.update_cell(event.account_id, "status", status_cell(event.kind))
        if event.message:
            prefix = "! " if event.kind == "warning" else ""
            table.update_cell(event.account_id, "detail", prefix + shown_text(event.message, base))
        self._render_counts()

    def _render_counts(self) -> None:
        ended = sum(1 for k in self.kinds.values() if k in ENDED)
        self.query_one("#run-progress", ProgressBar).update(progress=ended)
        tally: dict[str, int] = {}
        for kind in self.kinds.values():
            word = STATUS[kind][1]
            tally[word] = tally.get(word, 0) + 1
        order = ("done", "unchanged", "failed", "skipped", "working", "retrying", "pending")
        self.query_one("#run-counts", Static).update(
            f"{ended} of {len(self.kinds)} ended · " + ", ".join(f"{tally[w]} {w}" for w in order if w in tally))

    # -- the report -------------------------------------------------------------------------------
    @on(OnboardFinished)
    def _finished(self, message: OnboardFinished) -> None:
        self.finished = True
        self.report = report = message.report
        self.query_one("#cancel", Button).display = False
        self.query_one("#done", Button).disabled = False
        self.query_one("#again", Button).disabled = False
        self.query_one("#step-reason", Static).update("")
        title = self.query_one("#run-title", Static)
        if report is None:
            title.update("Onboarding could not start")
        elif report.ok:
            title.update("Onboarding complete")
        elif report.cancelled:
            title.update("Onboarding cancelled: run again to resume")
        else:
            title.update("Onboarding finished with failures")
        if report is not None:
            # A run only ends accounts it started: make every row agree with the report.
            table = self.query_one("#run-table", DataTable)
            for r in report.results:
                kind = {"done": "finished"}.get(r.status, r.status)
                if kind in STATUS and r.account_id in self.kinds:
                    self.kinds[r.account_id] = kind
                    table.update_cell(r.account_id, "status", status_cell(kind))
            self._render_counts()
        self.query_one("#run-outcome", Static).update(self.outcome(message))
        self._reload_spec()
        self.query_one("#done", Button).focus()

    def outcome(self, message: OnboardFinished) -> Content:
        base = Path(self.ctx.base_dir)
        report = message.report
        lines: list[Content] = []
        if message.error:
            lines.append(Content.from_markup("[$text-error]✗ $e[/]", e=shown_text(message.error, base)))
        if report is not None:
            counts = report.counts()
            lines.append(Content.from_markup("[b]$n account(s):[/b] $c", n=str(len(report.results)),
                                             c=", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "none"))
            for r in report.results:
                if r.status == "failed":
                    lines.append(Content.from_markup("[$text-error]✗ $a: $m[/]", a=r.account_id,
                                                     m=shown_text(" ".join(r.message.splitlines()), base)))
            if report.spec_entries_added:
                lines.append(Content.from_markup(
                    "Added $n entr(ies) to $p; `xwiz apply` writes their credential configurations.",
                    n=str(report.spec_entries_added), p=shown_path(report.spec_path or "")))
        if report is None or not report.ok:
            journal = shown_path(report.journal_path) if report is not None and report.journal_path else "the journal"
            lines.append(Content(f"Run again: accounts finished so far are only re-verified ({journal}), "
                                 "the rest are done."))
        return Content("\n").join(lines)

    def _reload_spec(self) -> None:
        """The run appended entries to xwiz.toml: what the app holds must say the same."""
        from wizard.model.errors import InputError
        from wizard.model.spec import load_spec

        path = self.onboarder.spec_path
        if path is not None and path.exists():
            try:
                self.ctx.spec = load_spec(path)
            except InputError:
                pass  # the onboarder never writes a spec that does not load; someone else did

    # -- buttons ----------------------------------------------------------------------------------
    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.cancel.set()
        self.query_one("#step-reason", Static).update("Cancelling: accounts in flight finish, the rest are skipped…")
        self.query_one("#cancel", Button).disabled = True

    def action_cancel_or_close(self) -> None:
        if self.finished:
            self.dismiss(None)
        else:
            self._cancel()

    @on(Button.Pressed, "#done")
    def _done(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#again")
    def _again(self) -> None:
        self.dismiss("again")
