"""A labelled input judged by one of the CLI's own validators, with the reason shown under it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Static

from wizard.model.errors import InputError

Validator = Callable[[str], Any]
"""Takes the text, returns the normalised value or raises InputError (wizard.model.identifiers)."""


def reason(error: InputError) -> str:
    """An InputError without its field prefix: the field's label already says which one."""
    text = error.message
    if error.expected:
        text += f"; expected {error.expected}"
    return text


class Field(Vertical):
    """`label [ input ]` on one line, then the validator's verdict (only when it says no).

    `value` is the normalised value (None while invalid or empty-and-optional); `error` the reason.
    """

    DEFAULT_CSS = """
    Field { height: auto; }
    Field > Horizontal { height: auto; }
    Field .field-label { width: 24; padding: 0 1 0 0; }
    Field Input { width: 1fr; }
    Field .field-error { height: auto; min-height: 1; padding-left: 24; }
    Field .field-hint { padding-left: 24; }
    """
    # The error line is always there (blank when the value is fine): showing a one-line reason as you
    # type is then a repaint, not a re-layout of the whole step.

    @dataclass
    class Changed(Message):
        """The text changed and was judged again."""

        field: "Field"

        @property
        def control(self) -> "Field":
            return self.field

    def __init__(self, label: str, validator: Validator, *, value: str = "", placeholder: str = "",
                 hint: str = "", optional: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.label = label
        self.validator = validator
        self.optional = optional
        self._initial = value
        self._placeholder = placeholder
        self._hint = hint
        self.value: Any = None
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self.label, classes="field-label")
            field_input = Input(self._initial, placeholder=self._placeholder, id=f"{self.id}-input" if self.id else None)
            field_input.cursor_blink = getattr(self.app, "cursor_blink", True)
            yield field_input
        if self._hint:
            yield Static(self._hint, classes="field-hint", markup=False)
        yield Static("", classes="field-error", markup=False)

    def on_mount(self) -> None:
        self._judge(self._initial)

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def text(self) -> str:
        return self.input.value

    def set_text(self, text: str) -> None:
        self.input.value = text  # posts Input.Changed, which judges it again

    def revalidate(self) -> None:
        self._judge(self.text)
        self.post_message(self.Changed(self))

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self._judge(event.value)
        self.post_message(self.Changed(self))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.screen.action_focus_next()

    def _judge(self, text: str) -> None:
        if self.optional and not text.strip():
            self.value, self.error = None, None
        else:
            try:
                self.value, self.error = self.validator(text), None
            except InputError as e:
                self.value, self.error = None, reason(e)
        self.set_class(self.error is not None, "-invalid")
        if self.is_mounted:
            self.query_one(".field-error", Static).update(f"✗ {self.error}" if self.error else "")
