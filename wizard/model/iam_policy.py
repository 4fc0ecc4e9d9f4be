"""Pure edits of Google IAM policies: add members to a role, add audit configs, keep everything else.

Used inside read-modify-write loops: the caller reads the policy (with its etag), applies one of
these, and writes it back with the same etag; a 409 ABORTED means someone else wrote in between,
so the loop reads again. Nothing here ever removes a member or a binding it did not add.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

AUDIT_LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")
# iamcredentials.googleapis.com is rejected as an auditConfig service; `iam` covers it (cloud-facts §1.2)
FEDERATION_AUDIT_SERVICES = ("iam.googleapis.com", "sts.googleapis.com")


@dataclass(frozen=True)
class PolicyEdit:
    policy: dict[str, Any]
    added: tuple[str, ...]
    """Human lines for the diff: `+ roles/x: member`."""

    @property
    def changed(self) -> bool:
        return bool(self.added)


def members_of(policy: dict[str, Any], role: str) -> set[str]:
    return {m for b in policy.get("bindings", []) or [] if b.get("role") == role and not b.get("condition")
            for m in b.get("members", [])}


def add_members(policy: dict[str, Any], grants: dict[str, list[str]]) -> PolicyEdit:
    """Add each member to its role's unconditional binding; creates the binding when missing."""
    new = copy.deepcopy(policy)
    bindings = new.setdefault("bindings", [])
    added: list[str] = []
    for role, members in grants.items():
        binding = next((b for b in bindings if b.get("role") == role and not b.get("condition")), None)
        for member in members:
            if binding is not None and member in binding.get("members", []):
                continue
            if binding is None:
                binding = {"role": role, "members": []}
                bindings.append(binding)
            binding.setdefault("members", []).append(member)
            added.append(f"+ {role}: {member}")
    if not bindings:
        new.pop("bindings", None)
    return PolicyEdit(new, tuple(added))


def add_audit_logs(policy: dict[str, Any], services: tuple[str, ...] = FEDERATION_AUDIT_SERVICES,
                   log_types: tuple[str, ...] = AUDIT_LOG_TYPES) -> PolicyEdit:
    """Turn on audit log types for services, keeping every other audit config and exemption."""
    new = copy.deepcopy(policy)
    configs = new.setdefault("auditConfigs", [])
    added: list[str] = []
    for service in services:
        config = next((c for c in configs if c.get("service") == service), None)
        if config is None:
            config = {"service": service, "auditLogConfigs": []}
            configs.append(config)
        have = {c.get("logType") for c in config.setdefault("auditLogConfigs", [])}
        for log_type in log_types:
            if log_type not in have:
                config["auditLogConfigs"].append({"logType": log_type})
                added.append(f"+ audit log {log_type} for {service}")
    if not configs:
        new.pop("auditConfigs", None)
    return PolicyEdit(new, tuple(added))
