"""Values read from the clouds, offered under a field: pick one with Enter or a click."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class Suggestions(OptionList):
    DEFAULT_CSS = """
    Suggestions { height: auto; max-height: 5; margin: 0 0 1 24; }
    """

    @dataclass
    class Picked(Message):
        suggestions: "Suggestions"
        value: str

        @property
        def control(self) -> "Suggestions":
            return self.suggestions

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.display = False

    def show_values(self, values: tuple[str, ...] | list[str]) -> None:
        self.clear_options()
        self.add_options([Option(v, id=v) for v in values])
        self.display = bool(values)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Picked(self, str(event.option.id)))
