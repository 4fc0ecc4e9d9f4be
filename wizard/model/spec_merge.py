"""Merging a journey's one-entry spec into an existing xwiz.toml (pure: specs in, a verdict out).

A journey produces one entry. Saving it must not throw away the federation already in the file: the
entry is added, or replaces the entry it is a new version of — the same provider ID in the pool
(`aws_to_gcp`, `eks_to_gcp`), the same role in the same account (`gcp_to_aws`) — and every other
entry is kept. Two specs for different Google Cloud projects or pools are not merged: one file is
one `[gcp]`, so the entry belongs in a file of its own (`alternative_name`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from wizard.model.errors import InputError
from wizard.model.spec import FederationSpec, dump_spec, loads_spec

SECTIONS = ("aws_to_gcp", "eks_to_gcp", "gcp_to_aws")


@dataclass(frozen=True)
class SpecMerge:
    """What saving `new` over `existing` does.

    `action`: "create" (no file yet), "add", "replace", "same" (the file already says this), or
    "conflict" (not mergeable: `reason` says why; `spec` is then `new` alone).
    """

    spec: FederationSpec
    action: str
    kept: int = 0
    added: tuple[str, ...] = ()
    replaced: tuple[str, ...] = ()
    reason: str = ""

    @property
    def mergeable(self) -> bool:
        return self.action != "conflict"

    def describe(self, where: str) -> str:
        """One line for the confirm dialog: `adds 1 entry to ./xwiz.toml (3 kept)`."""
        kept = f" ({self.kept} kept)" if self.kept else ""
        if self.action == "create":
            return f"creates {where}"
        if self.action == "add" and not self.added:
            return f"sets the pool in {where}{kept}"
        if self.action == "add":
            return f"adds {_entries(len(self.added))} to {where}{kept}"
        if self.action == "replace":
            return f"replaces {', '.join(self.replaced)} in {where}{kept}"
        if self.action == "same":
            return f"leaves {where} as it is: it already has this entry{kept}"
        return f"does not merge into {where}: {self.reason}"


def entry_key(section: str, entry: Any) -> tuple[str, ...]:
    """What makes two entries the same thing: a provider ID is unique in its pool; a role in its account."""
    if section == "gcp_to_aws":
        return ("role", entry.account_id, entry.role_name)
    return ("provider", entry.provider)


def entry_label(section: str, entry: Any) -> str:
    if section == "gcp_to_aws":
        return f"role {entry.role_name} in {entry.account_id}"
    return f"provider {entry.provider}"


def gcp_difference(existing: FederationSpec, new: FederationSpec) -> str | None:
    """Why the two `[gcp]` sections cannot share a file, or None when they can."""
    a, b = existing.gcp, new.gcp
    if a.project != b.project:
        return f"it is for project {a.project}, this journey for {b.project}"
    if a.pool and b.pool and (a.pool != b.pool or a.location != b.location):
        return f"it is for pool {a.pool}, this journey for {b.pool}"
    return None


def merge_specs(existing: FederationSpec | None, new: FederationSpec) -> SpecMerge:
    """`new`'s entries added to (or replacing their namesakes in) `existing`, others kept in order."""
    if existing is None:
        return SpecMerge(new, "create", added=tuple(_labels(new)))
    why = gcp_difference(existing, new)
    if why is not None:
        return SpecMerge(new, "conflict", reason=why)
    gcp = existing.gcp
    if gcp.pool is None and new.gcp.pool is not None:
        gcp = replace(gcp, pool=new.gcp.pool, location=new.gcp.location,
                      pool_display_name=gcp.pool_display_name or new.gcp.pool_display_name)
    sections: dict[str, tuple[Any, ...]] = {}
    added: list[str] = []
    replaced: list[str] = []
    kept = 0
    for section in SECTIONS:
        old_entries = list(getattr(existing, section))
        for entry in getattr(new, section):
            key = entry_key(section, entry)
            at = next((i for i, e in enumerate(old_entries) if entry_key(section, e) == key), None)
            if at is None:
                old_entries.append(entry)
                added.append(entry_label(section, entry))
            elif old_entries[at] != entry:
                old_entries[at] = entry
                replaced.append(entry_label(section, entry))
        sections[section] = tuple(old_entries)
        kept += len(getattr(existing, section))
    kept -= len(replaced)  # identical entries count as kept: the file keeps them as they are
    merged = replace(existing, gcp=gcp, **sections)
    try:
        loads_spec(dump_spec(merged))  # never offer to save a file that would not load
    except InputError as e:
        return SpecMerge(new, "conflict", reason=f"together they would not load ({e})")
    action = "replace" if replaced else "add" if added else "same"
    if action == "same" and gcp != existing.gcp:
        action = "add"  # only the pool was added to [gcp]
    return SpecMerge(merged, action, kept, tuple(added), tuple(replaced))


def alternative_name(new: FederationSpec, existing: FederationSpec | None = None) -> str:
    """A file name for a spec that does not belong in xwiz.toml: `xwiz-<project>.toml`, or with the pool
    when the existing file is for the same project."""
    project = new.gcp.project
    if existing is not None and existing.gcp.project == project and new.gcp.pool:
        return f"xwiz-{project}-{new.gcp.pool}.toml"
    return f"xwiz-{project}.toml"


def _labels(spec: FederationSpec) -> list[str]:
    return [entry_label(s, e) for s in SECTIONS for e in getattr(spec, s)]


def _entries(n: int) -> str:
    return f"{n} entry" if n == 1 else f"{n} entries"
