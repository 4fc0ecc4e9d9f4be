"""The doctor's report as text for a terminal. The TUI renders the same `CheckResult`s its own way."""

from __future__ import annotations

import json
from typing import Any

import click

MARK = {"pass": ("✓", "green"), "warn": ("!", "yellow"), "fail": ("✗", "red"), "skip": ("-", None),
        "error": ("E", "magenta")}


def result_lines(result: Any, *, verbose: bool = False) -> list[str]:
    mark, colour = MARK[result.status]
    cause = f" [{result.cause}]" if result.cause else ""
    head = f"{mark} {result.status:<5} {result.title}{cause}"
    lines = [click.style(head, fg=colour, bold=result.status in ("fail", "error")) + click.style(
        f"  ({result.id})", dim=True)]
    lines.append(f"        {result.summary}")
    if result.remediation and result.status in ("fail", "warn"):
        lines.append(f"        fix: {result.remediation.text}")
        for command in result.remediation.commands:
            lines.append(click.style(f"          $ {command}", fg="cyan"))
    if verbose and result.evidence:
        for line in json.dumps(dict(result.evidence), indent=2, default=str).splitlines():
            lines.append(click.style(f"        {line}", dim=True))
    if verbose and result.traceback:
        lines.extend(f"        {line}" for line in result.traceback.rstrip().splitlines())
    return lines


def report_text(report: Any, *, verbose: bool = False) -> str:
    lines: list[str] = []
    for result in report.results:
        if result.status == "skip" and not verbose and result.summary.startswith("blocked by"):
            lines.append(click.style(f"- skip  {result.title}  ({result.id}): {result.summary}", dim=True))
            continue
        lines.extend(result_lines(result, verbose=verbose))
    counts: dict[str, int] = {}
    for r in report.results:
        counts[r.status] = counts.get(r.status, 0) + 1
    words = {"pass": "passed", "warn": "warnings", "fail": "failed", "skip": "skipped", "error": "errors"}
    summary = ", ".join(f"{counts[s]} {words[s]}" for s in ("pass", "warn", "fail", "error", "skip") if s in counts)
    first = next((r for r in report.results if r.status == "fail"), None) or next(
        (r for r in report.results if r.status == "error"), None)
    if first is not None:
        summary += f". First problem: {first.id}" + (f" ({first.cause})" if first.cause else "")
        summary += "; run xwiz doctor --explain " + (first.cause or first.id) + " for more."
    lines.append("")
    lines.append(click.style(summary, bold=True, fg="red" if first else "green"))
    return "\n".join(lines)


def event_line(event: Any) -> str | None:
    if event.kind == "slow":
        return click.style(f"  … {event.title} is taking {event.elapsed_s:.0f} s", fg="yellow")
    if event.kind == "finished" and event.result is not None:
        mark, colour = MARK[event.result.status]
        return click.style(f"  {mark} {event.title}", fg=colour)
    return None


def checks_text(checks: Any) -> str:
    lines = []
    for c in checks:
        kind = "live  " if c.live else "static"
        lines.append(f"{c.id:<40} {kind} {c.severity:<8} {c.title}")
    return "\n".join(lines)


def explain_text(subject: Any, kind: str, related: list[str]) -> str:
    if kind == "cause":
        c = subject
        lines = [click.style(f"{c.code}: {c.title}", bold=True),
                 f"cloud-facts: {', '.join(c.misconfigs) or '—'}    reported as: {c.severity}", "", c.explanation, "",
                 f"Fix: {c.remediation}"]
        lines.extend(f"  $ {cmd}" for cmd in c.commands)
        if related:
            lines += ["", "Reported by: " + ", ".join(related)]
        return "\n".join(lines)
    c = subject
    lines = [click.style(f"{c.id}: {c.title}", bold=True),
             f"{'live step of the exchange' if c.live else 'static check'}; severity {c.severity}; "
             f"timeout {c.timeout_s:.0f} s", ""]
    if c.requires:
        lines.append("Requires: " + ", ".join(c.requires))
    lines += ["", c.doc, ""]
    if c.causes:
        lines.append("Causes it can report: " + ", ".join(c.causes))
    return "\n".join(lines)
