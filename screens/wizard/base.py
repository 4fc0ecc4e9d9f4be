"""What every input step shares: a title, why the step matters, fields, and Back / Next.

A step never writes anything: it dismisses with a `StepResult` carrying a new `Draft`. Next stays
disabled while any field is invalid, with the first reason shown next to it.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Static

from ..context import Draft, StepResult
from ..widgets.field import Field


class StepScreen(Screen[StepResult]):
    """Subclasses set TITLE_TEXT and WHY, and yield their fields from `fields()`."""

    TITLE_TEXT = ""
    WHY = ""
    AUTO_FOCUS = "Input"
    BINDINGS = [
        Binding("escape", "back", "Back", tooltip="Back one step; nothing is lost", id="step-back"),
        Binding("ctrl+n", "next", "Next", tooltip="Next step (when every field is valid)", id="step-next"),
    ]

    def __init__(self, draft: Draft, journey: str = "", position: tuple[int, int] = (1, 1)) -> None:
        super().__init__()
        self.draft = draft
        self.journey = journey
        self.position = position

    @property
    def ctx(self) -> Any:
        return self.app.context  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="step-body", can_focus=False):
            index, total = self.position
            yield Static(f"{self.journey} · step {index} of {total}", classes="step-crumb", markup=False)
            yield Static(self.TITLE_TEXT, classes="step-title", markup=False)
            yield Static(self.WHY, classes="step-why", markup=False)
            yield from self.fields()
        with Horizontal(id="step-nav"):
            yield Static("", id="step-reason", markup=False)
            yield Button("Back", id="back")
            yield Button("Next", id="next", variant="primary")
        yield Footer()

    def fields(self) -> ComposeResult:
        return iter(())

    def on_mount(self) -> None:
        self.call_after_refresh(self.update_next)
        self.call_after_refresh(self.focus_first_problem)
        self.load_suggestions()

    def focus_first_problem(self) -> None:
        """Put the cursor where work is left: the first invalid field (prefilled ones are usually right)."""
        fields = list(self.query(Field))
        target = next((f for f in fields if f.error), fields[0] if fields else None)
        if target is not None:
            target.input.focus()

    def load_suggestions(self) -> None:
        """Start workers that read defaults from the clouds (optional)."""

    # -- validity ---------------------------------------------------------------------------
    def problems(self) -> list[str]:
        """Reasons Next is disabled: each invalid field, then whatever `extra_problems` adds."""
        out = [f"{f.label}: {f.error}" for f in self.query(Field) if f.error]
        return out + self.extra_problems()

    def extra_problems(self) -> list[str]:
        return []

    def update_next(self) -> None:
        problems = self.problems()
        self.query_one("#next", Button).disabled = bool(problems)
        self.query_one("#step-reason", Static).update(f"✗ {problems[0]}" if problems else "")

    @on(Field.Changed)
    def _field_changed(self, event: Field.Changed) -> None:
        self.field_changed(event.field)
        self.update_next()

    def field_changed(self, field: Field) -> None:
        """Hook: cross-field validation and previews."""

    # -- navigation --------------------------------------------------------------------------
    def collect(self) -> dict[str, Any]:
        """The values this step adds to the draft (only called when every field is valid)."""
        return {}

    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        self.update_next()
        if self.query_one("#next", Button).disabled:
            self.app.bell()
            return
        self.dismiss(StepResult("next", self.draft.with_values(**self.collect())))

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.dismiss(StepResult("back", self.draft))


def split_list(text: str) -> list[str]:
    """`a, b c` → ["a", "b", "c"]: lists are typed comma- or space-separated."""
    return [part for part in text.replace(",", " ").split() if part]
