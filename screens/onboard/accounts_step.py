"""Onboarding, step 1: which AWS accounts — typed, from a CSV/TOML file, or from AWS Organizations.

Typed IDs are judged by `aws_account_id` as you type; a file is parsed by the model's parsers, its
errors shown with file:line; Organizations discovery runs in a worker and lists the ACTIVE accounts
with a checkbox each. Next stays disabled, with the reason, until there is at least one account.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Label, RadioButton, RadioSet, SelectionList, Static

from wizard.model import onboarding as ob

from ..context import StepResult, one_line
from ..widgets.field import Field
from ..wizard.base import StepScreen
from . import inputs
from .messages import OrganizationListed

SOURCES = (("typed", "IDs"), ("file", "a file"), ("organization", "AWS Organizations"))


class OnboardAccountsStep(StepScreen):
    TITLE_TEXT = "Which AWS accounts"
    WHY = ("Each account gets a provider in the pool (or a role, Google Cloud → AWS). Type the IDs, point "
           "to a file, or ask AWS Organizations.")
    DEFAULT_CSS = """
    OnboardAccountsStep #source { layout: horizontal; height: auto; width: auto; border: none; padding: 0;
                                  background: $background; }
    OnboardAccountsStep #source RadioButton { width: auto; margin-right: 2; }
    OnboardAccountsStep .source-row { height: auto; margin-bottom: 1; }
    OnboardAccountsStep .source-row Label { width: 24; padding: 0 1 0 0; }
    OnboardAccountsStep .source { height: auto; }
    OnboardAccountsStep #spec-note { margin-bottom: 1; }
    OnboardAccountsStep #setup-first { margin: 0 0 1 0; }
    OnboardAccountsStep #discover-row { height: auto; margin-left: 24; }
    OnboardAccountsStep #org-note { padding-left: 2; height: auto; width: 1fr; content-align-vertical: middle; }
    OnboardAccountsStep #org-accounts { height: auto; max-height: 12; margin: 1 0 1 24; }
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.state: inputs.SpecState = self.draft.get("_state")
        self.discovered: tuple[ob.AccountRequest, ...] | None = self.draft.get("_org_accounts")
        self.discovering = False

    @property
    def source(self) -> str:
        pressed = self.query_one("#source", RadioSet).pressed_index
        return SOURCES[max(pressed, 0)][0]

    def fields(self) -> ComposeResult:
        yield Static(self._spec_note(), id="spec-note")
        if self.state.error is None and not self.state.pool:
            yield Button("Set up AWS → Google Cloud first", id="setup-first", variant="primary")
        chosen = self.draft.get("source") or "typed"
        with Horizontal(classes="source-row"):
            yield Label("Accounts from")
            with RadioSet(id="source"):
                for key, label in SOURCES:
                    yield RadioButton(label, value=key == chosen, id=f"from-{key}")
        with Vertical(id="source-typed", classes="source"):
            yield Field("Account IDs", inputs.account_ids, id="accounts", value=self.draft.get("typed") or "",
                        placeholder="111122223333, 444455556666", hint="12 digits each, comma- or space-separated")
        with Vertical(id="source-file", classes="source"):
            yield Field("Accounts file", inputs.accounts_file(self.ctx.base_dir), id="file",
                        value=self.draft.get("file") or "", placeholder="accounts.csv",
                        hint="CSV: account_id,roles[,provider]   TOML: [[account]] tables")
            yield Static("", id="file-summary", classes="note", markup=False)
        with Vertical(id="source-organization", classes="source"):
            yield Field("OU (optional)", inputs.parent_id, id="ou", optional=True, value=self.draft.get("ou") or "",
                        placeholder="ou-ab12-cdefgh34", hint="empty: every ACTIVE account of the organization")
            with Horizontal(id="discover-row"):
                yield Button("Discover accounts", id="discover")
                yield Static("", id="org-note", markup=False)
            yield SelectionList[str](id="org-accounts")

    def _spec_note(self) -> Content:
        state = self.state
        where = state.where()
        if state.error is not None:
            return Content.from_markup("[$text-error]✗ $w does not load: $e[/]\nFix it (or move it away) first.",
                                       w=where, e=state.error)
        if state.pool:
            spec = state.spec
            n = len(spec.aws_to_gcp)
            return Content.from_markup(
                "Into pool [b]$p[/b] of project [b]$g[/b] ($w, $n so far).", p=state.pool, g=spec.gcp.project,
                w=where, n=f"{n} AWS account" if n == 1 else f"{n} AWS accounts")
        return Content.from_markup(
            "[$text-warning]! No xwiz.toml with a pool here ($w).[/] AWS → Google Cloud onboarding adds accounts "
            "to an existing pool: set one up first. Google Cloud → AWS needs no pool.", w=where)

    def on_mount(self) -> None:
        super().on_mount()
        self._show_source()
        if self.discovered is not None:
            self._show_discovered(self.discovered, self.draft.get("_org_selected"))

    def focus_first_problem(self) -> None:
        target = {"typed": "#accounts", "file": "#file", "organization": "#ou"}[self.source]
        self.query_one(target, Field).input.focus()

    # -- the source -----------------------------------------------------------------------------
    @on(RadioSet.Changed, "#source")
    def _source_changed(self) -> None:
        self._show_source()
        self.update_next()

    def _show_source(self) -> None:
        for key, _ in SOURCES:
            self.query_one(f"#source-{key}", Vertical).display = key == self.source

    def field_changed(self, field: Field) -> None:
        if field.id == "file":
            summary = self.query_one("#file-summary", Static)
            value = field.value
            summary.update(f"{inputs.summary_of(value)}: {', '.join(a.account_id for a in value[:4])}"
                           f"{' …' if len(value) > 4 else ''}" if value else "")

    # -- AWS Organizations ----------------------------------------------------------------------
    @on(Button.Pressed, "#discover")
    def _discover_pressed(self) -> None:
        ou = self.query_one("#ou", Field)
        if ou.error:
            self.app.bell()
            return
        self.discovering = True
        self.query_one("#discover", Button).disabled = True
        self.query_one("#org-note", Static).update("Asking AWS Organizations…")
        self.discover(ou.value)
        self.update_next()

    @work(thread=True, exclusive=True, exit_on_error=False, group="discover")
    def discover(self, ou: str | None) -> None:
        from wizard.engine.onboarding import discover_organization

        try:
            found = discover_organization(self.ctx.services, ou)
        except Exception as e:  # reported on the screen, never raised out of the worker
            self.post_message(OrganizationListed((), one_line(e)))
            return
        self.post_message(OrganizationListed(tuple(found)))

    @on(OrganizationListed)
    def _listed(self, message: OrganizationListed) -> None:
        self.discovering = False
        self.query_one("#discover", Button).disabled = False
        if message.error:
            self.discovered = None
            self.query_one("#org-note", Static).update(f"✗ {message.error}")
            self.query_one("#org-accounts", SelectionList).clear_options()
        else:
            self.discovered = message.accounts
            self._show_discovered(message.accounts, None)
            listing = self.query_one("#org-accounts", SelectionList)
            if message.accounts:
                listing.focus()  # ticking and unticking is what comes next
        self.update_next()

    def _show_discovered(self, accounts: tuple[ob.AccountRequest, ...], selected: tuple[str, ...] | None) -> None:
        listing = self.query_one("#org-accounts", SelectionList)
        listing.clear_options()
        listing.add_options([(f"{a.account_id}  {a.name or ''}".rstrip(), a.account_id,
                              selected is None or a.account_id in selected) for a in accounts])
        where = "the organization" if not self.query_one("#ou", Field).value else self.query_one("#ou", Field).value
        self.query_one("#org-note", Static).update(
            f"{inputs.summary_of(accounts)} ACTIVE in {where}: untick the ones to leave out" if accounts
            else f"No ACTIVE accounts in {where}.")

    @on(SelectionList.SelectedChanged, "#org-accounts")
    def _selection_changed(self) -> None:
        self.update_next()

    # -- validity and result --------------------------------------------------------------------
    def problems(self) -> list[str]:
        if self.state.error is not None:
            return [f"{self.state.where()} does not load: fix it first"]
        source = self.source
        active = self.query_one(f"#source-{source}", Vertical)
        out = [f"{f.label}: {f.error}" for f in active.query(Field) if f.error]
        if source == "organization" and not out:
            if self.discovering:
                out.append("discovering the organization's accounts…")
            elif self.discovered is None:
                out.append("press Discover accounts to list the organization's accounts")
            elif not self.query_one("#org-accounts", SelectionList).selected:
                out.append("no account selected")
        return out

    def accounts(self) -> tuple[ob.AccountRequest, ...]:
        source = self.source
        if source == "typed":
            return tuple(ob.AccountRequest(a, (), None, "typed") for a in self.query_one("#accounts", Field).value)
        if source == "file":
            return tuple(self.query_one("#file", Field).value)
        chosen = set(self.query_one("#org-accounts", SelectionList).selected)
        return tuple(a for a in self.discovered or () if a.account_id in chosen)

    def collect(self) -> dict:
        selected = tuple(self.query_one("#org-accounts", SelectionList).selected)
        return {"source": self.source, "accounts": self.accounts(),
                "typed": self.query_one("#accounts", Field).text, "file": self.query_one("#file", Field).text,
                "ou": self.query_one("#ou", Field).text, "_org_accounts": self.discovered,
                "_org_selected": selected}

    @on(Button.Pressed, "#setup-first")
    def _setup_first(self) -> None:
        self.dismiss(StepResult("setup-first", self.draft))
