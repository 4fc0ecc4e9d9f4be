"""A Plan as a diff: one line per step with its action symbol, then the step's diff lines."""

from __future__ import annotations

from pathlib import Path

from textual.content import Content
from textual.widgets import Static

from wizard.model.plan import SYMBOL, Plan

from ..context import shown_text

ACTION_STYLE = {"same": "$text-muted", "create": "$text-success", "update": "$text-warning",
                "undelete": "$text-warning", "delete": "$text-error"}


def plan_content(plan: Plan, base: Path | None = None, *, show_same: bool = True) -> Content:
    parts: list[Content] = []
    counts = plan.counts()
    summary = ", ".join(f"{n} {action}" for action, n in counts.items())
    parts.append(Content.from_markup("[b]Plan:[/b] $summary", summary=summary or "nothing"))
    if not plan.has_changes:
        parts.append(Content("Everything is already as specified: applying changes nothing."))
    for warning in plan.warnings:
        parts.append(Content.from_markup("[$text-warning]! $w[/]", w=shown_text(warning, base)))
    for step in plan.steps:
        if step.action == "same" and not show_same:
            continue
        style = ACTION_STYLE.get(step.action, "")
        parts.append(Content.from_markup(f"[{style}]$symbol $action $summary[/]", symbol=SYMBOL[step.action],
                                         action=f"{step.action:<8}", summary=shown_text(step.summary, base)))
        for line in step.diff[:12]:
            parts.append(Content.from_markup("[$text-muted]      $line[/]", line=shown_text(line, base)))
        if len(step.diff) > 12:
            parts.append(Content(f"      … {len(step.diff) - 12} more lines"))
        for warning in step.warnings:
            parts.append(Content.from_markup("[$text-warning]      ! $w[/]", w=shown_text(warning, base)))
    return Content("\n").join(parts)


class PlanView(Static):
    DEFAULT_CSS = "PlanView { height: auto; }"

    def show_plan(self, plan: Plan, base: Path | None = None) -> None:
        self.update(plan_content(plan, base))
