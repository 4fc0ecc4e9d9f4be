"""Plans: what `xwiz plan` shows and `xwiz apply` carries out.

A plan is a tuple of steps in dependency order. Each step names one resource, the action
(`same/create/update/undelete`), a one-line summary, a diff a person can read, and the ids of the
steps it waits for. Planning again after an apply shows only `same` — that is a test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ACTIONS = ("same", "create", "update", "undelete", "delete")
SYMBOL = {"same": " ", "create": "+", "update": "~", "undelete": "↺", "delete": "-"}


@dataclass(frozen=True)
class Step:
    id: str
    """Stable id, e.g. `provider:aws-111122223333`; other steps refer to it in `depends_on`."""
    kind: str
    """`project`, `apis`, `pool`, `provider`, `service_account`, `project_roles`, `audit_logs`,
    `sa_binding`, `credential_config`, `kubernetes_snippet`, `role`, `trust_policy`, `role_policies`,
    `token_creator`, `aws_profile`."""
    action: str
    resource: str
    """What a person calls the resource: `projects/xwiz-sandbox/…/providers/aws-111122223333`."""
    summary: str
    diff: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    desired: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    """What the applier needs to make it so; never a secret."""

    @property
    def changes(self) -> bool:
        return self.action != "same"


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    warnings: tuple[str, ...] = ()

    @property
    def has_changes(self) -> bool:
        return any(s.changes for s in self.steps)

    def counts(self) -> dict[str, int]:
        out = {a: 0 for a in ACTIONS}
        for s in self.steps:
            out[s.action] += 1
        return {k: v for k, v in out.items() if v}

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def to_json(self) -> dict[str, Any]:
        return {"schema_version": 1, "has_changes": self.has_changes, "counts": self.counts(),
                "warnings": list(self.warnings),
                "steps": [{"id": s.id, "kind": s.kind, "action": s.action, "resource": s.resource,
                           "summary": s.summary, "diff": list(s.diff), "depends_on": list(s.depends_on),
                           "warnings": list(s.warnings)} for s in self.steps]}


@dataclass(frozen=True)
class ApplyEvent:
    """What the applier streams: a step started, made progress, finished, or failed."""

    step_id: str
    kind: str  # "started" | "progress" | "finished" | "failed" | "skipped" | "warning"
    message: str = ""
    result: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
