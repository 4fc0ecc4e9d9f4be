"""Plans and apply progress as text for a terminal (the TUI renders the same types its own way)."""

from __future__ import annotations

import click

from wizard.model.plan import SYMBOL, ApplyEvent, Plan

COLOR = {"create": "green", "update": "yellow", "undelete": "cyan", "delete": "red", "same": None}


def plan_text(plan: Plan, *, verbose: bool = False) -> str:
    lines: list[str] = []
    for step in plan.steps:
        if step.action == "same" and not verbose:
            continue
        head = f"{SYMBOL[step.action]} {step.action:<8} {step.summary}"
        lines.append(click.style(head, fg=COLOR[step.action], bold=step.action != "same"))
        lines.append(f"    {step.resource}")
        for d in step.diff:
            lines.append(f"      {d}")
        for w in step.warnings:
            lines.append(click.style(f"    ! {w}", fg="yellow"))
    counts = plan.counts()
    if not plan.has_changes:
        lines.append("No changes: everything is as xwiz.toml describes.")
    else:
        summary = ", ".join(f"{n} to {a}" for a, n in counts.items() if a != "same")
        same = counts.get("same", 0)
        lines.append(f"Plan: {summary}" + (f" ({same} unchanged)" if same else "") + ".")
    for w in plan.warnings:
        lines.append(click.style(f"! {w}", fg="yellow"))
    return "\n".join(lines)


def event_text(event: ApplyEvent) -> str | None:
    if event.kind == "started":
        return f"… {event.step_id}: {event.message}"
    if event.kind == "progress":
        return f"  {event.step_id}: {event.message}"
    if event.kind == "finished":
        return click.style(f"✓ {event.step_id}: {event.message}", fg="green")
    if event.kind == "failed":
        return click.style(f"✗ {event.step_id}: {event.message}", fg="red")
    if event.kind == "skipped":
        return click.style(f"- {event.step_id}: skipped ({event.message})", fg="yellow")
    if event.kind == "warning":
        return click.style(f"! {event.step_id}: {event.message}", fg="yellow")
    return None
