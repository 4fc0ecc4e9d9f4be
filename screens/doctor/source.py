"""What the doctor pane needs from the checks, as a small interface of its own.

`CheckSource` lists the checks and runs them, calling `on_update(CheckView)` as each one starts and
finishes, and returns the JSON report (design.md "Doctor report"). `RunnerSource` adapts
`checks.runner` to it when that module is present; tests may pass any object with the same shape.
No Textual here: this runs in a worker thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

STATUSES = ("pending", "running", "pass", "warn", "fail", "skip", "error")

FIXABLE_CAUSES = frozenset({
    "api-disabled", "pool-missing", "pool-disabled", "pool-deleted", "provider-missing", "provider-disabled",
    "provider-deleted", "provider-account-mismatch", "attribute-condition-rejects", "binding-missing",
    "service-account-missing",
})
"""Causes a re-apply of xwiz.toml repairs (the planner's diff covers each). Others need a person."""


@dataclass(frozen=True)
class CheckView:
    id: str
    title: str
    status: str = "pending"
    cause: str | None = None
    summary: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    remediation: str = ""
    commands: tuple[str, ...] = ()
    duration_ms: int | None = None

    @property
    def fixable(self) -> bool:
        return self.status in ("fail", "warn") and self.cause in FIXABLE_CAUSES


class CheckSource(Protocol):
    def list_checks(self) -> list[CheckView]: ...

    def run(self, on_update: Callable[[CheckView], None], cancel: threading.Event) -> dict[str, Any]: ...


def view_from_result(result: Any, title: str = "") -> CheckView:
    """A CheckView from a checks `CheckResult` (or its JSON dict): attribute or key, whichever it has."""

    def get(name: str, default: Any = None) -> Any:
        if isinstance(result, dict):
            return result.get(name, default)
        return getattr(result, name, default)

    status = get("status", "error")
    status = getattr(status, "value", status)
    remediation = get("remediation") or {}
    text = remediation.get("text", "") if isinstance(remediation, dict) else getattr(remediation, "text", "")
    commands = remediation.get("commands", ()) if isinstance(remediation, dict) else getattr(remediation, "commands", ())
    duration = get("duration_ms")
    if duration is None and get("duration") is not None:
        duration = int(float(get("duration")) * 1000)
    return CheckView(str(get("id", "")), str(get("title", title) or title), str(status).lower(), get("cause"),
                     str(get("summary", "") or ""), dict(get("evidence", {}) or {}), str(text or ""),
                     tuple(commands or ()), duration)


class RunnerSource:
    """`checks.runner` behind CheckSource: the checks for every direction in xwiz.toml."""

    def __init__(self, services: Any, spec: Any, base_dir: Path) -> None:
        self.services = services
        self.spec = spec
        self.base_dir = Path(base_dir)

    def _inputs(self) -> Any:
        from checks.context import inputs_from_spec

        return inputs_from_spec(self.spec, self.base_dir, services=self.services)

    def _checks(self) -> tuple[Any, ...]:
        from checks import registry

        if self.spec is None:
            return ()
        return registry.select(self._inputs().directions)

    def list_checks(self) -> list[CheckView]:
        return [CheckView(c.id, c.title) for c in self._checks()]

    def run(self, on_update: Callable[[CheckView], None], cancel: threading.Event) -> dict[str, Any]:
        from checks.context import Context
        from checks.runner import run

        if self.spec is None:
            return {}

        def on_event(event: Any) -> None:
            if event.result is not None:
                on_update(view_from_result(event.result.to_json(), event.title))
            elif event.kind == "slow":
                on_update(CheckView(event.check_id, event.title, "running", summary="still running…"))
            else:
                on_update(CheckView(event.check_id, event.title, "running"))

        report = run(self._checks(), Context(self.services, self._inputs()), on_event=on_event, cancel=cancel)
        return report.to_json()


def report_json(views: list[CheckView]) -> dict[str, Any]:
    """The design's doctor report built from what the pane shows (used when the source gives none)."""
    return {"schema_version": 1, "ok": all(v.status in ("pass", "warn", "skip") for v in views),
            "checks": [{"id": v.id, "title": v.title, "status": v.status, "cause": v.cause, "summary": v.summary,
                        "evidence": v.evidence, "remediation": {"text": v.remediation, "commands": list(v.commands)},
                        "duration_ms": v.duration_ms} for v in views]}
