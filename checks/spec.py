"""What a check is: a function with declared metadata, returning an `Outcome` the runner turns into a
frozen `CheckResult`.

    @check("aws_to_gcp.sts_exchange", "Exchange the AWS subject token at Google STS",
           requires=("aws_to_gcp.caller_identity",), provides=("federated_token",),
           causes=("attribute-condition-rejects", ...), live=True)
    def sts_exchange(ctx): ...

The id is the module path under `checks/` (ruff's rule: never reused); the docstring has "What it
checks / Why it fails / How to fix" sections, printed by `xwiz doctor --explain ID`. A check reads
inputs and earlier checks' values from its context and reaches the clouds only through the
context's `Services` bundle.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

STATUSES = ("pass", "warn", "fail", "skip", "error")
SEVERITIES = ("critical", "warning")
"""critical: a failure breaks the exchange; warning: advice (a fragile or over-broad setup)."""


@dataclass(frozen=True)
class Remediation:
    text: str
    commands: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "commands": list(self.commands)}


@dataclass(frozen=True)
class CheckResult:
    id: str
    title: str
    status: str
    cause: str | None
    summary: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    remediation: Remediation | None = None
    duration_ms: int = 0
    traceback: str | None = field(default=None, compare=False)
    """Kept for `--verbose` when the check raised; never in JSON."""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {STATUSES}")
        object.__setattr__(self, "evidence", MappingProxyType(dict(self.evidence)))

    @property
    def problem(self) -> bool:
        return self.status in ("fail", "error")

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "status": self.status, "cause": self.cause,
                "summary": self.summary, "evidence": _plain(self.evidence),
                "remediation": self.remediation.to_json() if self.remediation else None,
                "duration_ms": self.duration_ms}


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


@dataclass(frozen=True)
class Outcome:
    """What a check function returns. The runner adds id, title, duration and remediation."""

    status: str
    summary: str
    cause: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    provided: Mapping[str, Any] = field(default_factory=dict)
    """Values for later checks (never shown): the keys the check declares in `provides`."""
    fix: Mapping[str, Any] = field(default_factory=dict)
    """Values filled into the cause's remediation template (project, pool, member, …)."""
    remediation: Remediation | None = None
    """Overrides the catalogue's remediation when the check knows better."""
    blocks: bool = True
    """For `skip`: False when the check merely did not apply, so dependants still run."""


def passed(summary: str, evidence: Mapping[str, Any] | None = None, *,
           provide: Mapping[str, Any] | None = None) -> Outcome:
    return Outcome("pass", summary, None, evidence or {}, provide or {})


def warned(cause: str, summary: str, evidence: Mapping[str, Any] | None = None, *,
           fix: Mapping[str, Any] | None = None, provide: Mapping[str, Any] | None = None) -> Outcome:
    return Outcome("warn", summary, cause, evidence or {}, provide or {}, fix or {})


def failed(cause: str, summary: str, evidence: Mapping[str, Any] | None = None, *,
           fix: Mapping[str, Any] | None = None, remediation: Remediation | None = None,
           provide: Mapping[str, Any] | None = None) -> Outcome:
    return Outcome("fail", summary, cause, evidence or {}, provide or {}, fix or {}, remediation)


def skipped(summary: str, evidence: Mapping[str, Any] | None = None, *, blocks: bool = True,
            provide: Mapping[str, Any] | None = None) -> Outcome:
    """`blocks=False`: the check does not apply here (what-if mode, no permission to read), so the
    checks that require it still run."""
    return Outcome("skip", summary, None, evidence or {}, provide or {}, blocks=blocks)


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    fn: Callable[[Any], Outcome]
    severity: str = "critical"
    requires: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()
    timeout_s: float = 30.0
    causes: tuple[str, ...] = ()
    """Every cause code the check can report (for `--explain` and the catalogue test)."""
    live: bool = False
    """Runs a step of the real exchange (as opposed to reading configuration)."""
    waits: bool = False
    """Honours `--wait SECONDS` (its timeout grows by it)."""

    @property
    def group(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.fn.__doc__ or "")

    def __call__(self, ctx: Any) -> Outcome:
        return self.fn(ctx)


def check(id: str, title: str, *, severity: str = "critical", requires: tuple[str, ...] = (),
          provides: tuple[str, ...] = (), timeout_s: float = 30.0, causes: tuple[str, ...] = (),
          live: bool = False, waits: bool = False) -> Callable[[Callable[[Any], Outcome]], CheckSpec]:
    """Declare a check. Registration is explicit (`checks/registry.py`), never a side effect of this."""
    if severity not in SEVERITIES:
        raise ValueError(f"severity {severity!r} is not one of {SEVERITIES}")

    def wrap(fn: Callable[[Any], Outcome]) -> CheckSpec:
        expected_module = "checks." + id
        if fn.__module__ != expected_module:
            raise ValueError(f"check {id} lives in {fn.__module__}; its module must be {expected_module}")
        return CheckSpec(id, title, fn, severity, tuple(requires), tuple(provides), timeout_s, tuple(causes),
                         live, waits)

    return wrap
