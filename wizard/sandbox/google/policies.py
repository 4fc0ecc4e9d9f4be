"""IAM policies as the admin APIs read and write them: member grammar, read-modify-write, etags.

Shared by Cloud Resource Manager (project policies) and IAM (service-account policies); the rules
are the same on both (disc:iam.v1 and disc:cloudresourcemanager.v1 `Policy`, `SetIamPolicyRequest`).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ..errors_google import GoogleError, aborted_concurrent_policy_change, invalid_argument
from .state import Policy, new_etag

# Member types Google accepts (disc:iam.v1 `Binding.members`). `deleted:` forms carry `?uid=`.
_PREFIXED = ("user:", "serviceAccount:", "group:", "domain:", "deleted:user:", "deleted:serviceAccount:",
             "deleted:group:", "principal://", "principalSet://")
_PUBLIC = ("allUsers", "allAuthenticatedUsers")

_IAM_HOST = "iam.googleapis.com/"
# The identity-pool part of a principal/principalSet: a workload pool (project number — or ID, which
# Google accepts and then never matches, cloud-facts M06) or a workforce pool.
_POOL = (r"(?:projects/[^/]+/locations/global/workloadIdentityPools/[^/]+"
         r"|locations/global/workforcePools/[^/]+)")
_POOL_PREFIX = re.compile(rf"^{_POOL}/")
_PRINCIPAL = re.compile(rf"^{_POOL}/subject/.+$")
_PRINCIPAL_SET = re.compile(rf"^{_POOL}/(?:\*|group/[^/]+|attribute\.[a-z0-9_]+/.+)$")


def unknown_member_type(member: str) -> GoogleError:
    # A1, verbatim shape (cloud-facts §3.3, GH:hashicorp/terraform-provider-google#12672)
    return invalid_argument(f"The member {member} is of an unknown type. Please set a valid type prefix for the member.")


def invalid_principal_set(member: str) -> GoogleError:
    # A2 (cloud-facts §3.3): gcloud prints it as `INVALID_ARGUMENT: Invalid principalSet member`
    return invalid_argument("Invalid principalSet member")


def validate_member(member: Any, *, allow_public: bool) -> None:
    """Raise Google's 400 for a member it would refuse; accept what it accepts, even if it never matches.

    A principalSet naming a role by its bare name (`…/attribute.aws_role/my-role`) is syntactically
    fine and accepted — that silent mismatch is cloud-facts M01, which only the doctor can find.
    """
    if not isinstance(member, str) or not member:
        raise invalid_argument("Invalid member: members must be non-empty strings.")  # synthetic text
    if member in _PUBLIC:
        if not allow_public:
            # disc:cloudresourcemanager.v1 setIamPolicy: "Project does not support `allUsers` and
            # `allAuthenticatedUsers`"; the error text itself is synthetic (no capture known).
            raise invalid_argument(f"Policy members of type {member} are not supported for this resource.")
        return
    if not member.startswith(_PREFIXED):
        raise unknown_member_type(member)
    if member.startswith(("principal://", "principalSet://")):
        scheme, _, rest = member.partition("://")
        if not rest.startswith(_IAM_HOST) or not _POOL_PREFIX.match(rest[len(_IAM_HOST):]):
            raise unknown_member_type(member)  # A1: e.g. the pool path without projects/N/locations/global
        path = rest[len(_IAM_HOST):]
        if scheme == "principalSet":
            if not _PRINCIPAL_SET.match(path):
                raise invalid_principal_set(member)  # A2: attributes., /subject/, provider path, ...
        elif not _PRINCIPAL.match(path):
            raise invalid_argument("Invalid principal member")  # synthetic text, by analogy with A2
        return
    kind, _, value = member.rpartition(":")
    if not value:
        raise unknown_member_type(member)
    gke = re.fullmatch(r"([a-z][-a-z0-9]*\.svc\.id\.goog)\[[^/\]]+/[^/\]]+\]", value)
    if kind == "serviceAccount" and gke:
        # A3, verbatim (cloud-facts §3.3): the sandbox has no GKE workload identity pool at all
        raise invalid_argument(f"Identity Pool does not exist ({gke.group(1)}). Please check that you specified a "
                               f"valid resource name as returned in the `name` attribute in the configuration API.")
    if kind.endswith("serviceAccount") and "@" not in value:
        raise invalid_argument(f"Invalid service account ({value}).")  # synthetic text


def parse_update_mask(mask: str | None) -> set[str]:
    """`bindings,etag` when absent (disc:iam.v1 `SetIamPolicyRequest.updateMask`)."""
    if not mask:
        return {"bindings", "etag"}
    return {part.strip() for part in mask.split(",") if part.strip()}


def _normalised_bindings(bindings: Any, allow_public: bool) -> list[dict[str, Any]]:
    if bindings is None:
        return []
    if not isinstance(bindings, list):
        raise invalid_argument("Invalid JSON payload received. Unknown name \"bindings\": Proto field is not "
                               "repeating, cannot start list.")
    out: list[dict[str, Any]] = []
    for binding in bindings:
        if not isinstance(binding, dict) or not binding.get("role"):
            raise invalid_argument("A binding must name a role.")  # synthetic text
        members: list[str] = []
        for member in binding.get("members") or []:
            validate_member(member, allow_public=allow_public)
            if member not in members:
                members.append(member)
        if not members:
            continue  # Google drops bindings without members
        entry: dict[str, Any] = {"role": binding["role"], "members": members}
        if binding.get("condition"):
            entry["condition"] = copy.deepcopy(binding["condition"])
        out.append(entry)
    return out


def set_policy(current: Policy, body: dict[str, Any], *, allow_public: bool, audit_configs: bool) -> Policy:
    """Apply a SetIamPolicyRequest to `current` in place and return it.

    A stale `etag` loses (A4, 409 ABORTED); no `etag` overwrites unconditionally (disc:iam.v1
    `Policy.etag`). Every successful write gets a new etag.
    """
    policy = body.get("policy")
    if not isinstance(policy, dict):
        raise invalid_argument("Request contains an invalid argument.")  # C3 wording (cloud-facts §3.2)
    fields = parse_update_mask(body.get("updateMask"))
    etag = policy.get("etag")
    if etag and etag != current.etag:
        raise aborted_concurrent_policy_change()
    bindings = _normalised_bindings(policy.get("bindings"), allow_public)
    new_audit = current.audit_configs
    if audit_configs and "auditConfigs" in fields:
        new_audit = copy.deepcopy(policy.get("auditConfigs") or [])
    version = int(policy.get("version") or 1)
    if version not in (0, 1, 3):
        raise invalid_argument(f"Invalid policy version: {version}.")  # synthetic text
    if any("condition" in b for b in bindings):
        if version < 3:
            # synthetic text: conditions need version 3 (disc:iam.v1 `Policy.version`)
            raise invalid_argument("Policies with conditional role bindings must specify version 3.")
    if "bindings" in fields:
        current.bindings = bindings
    current.audit_configs = new_audit
    current.version = 3 if any("condition" in b for b in current.bindings) else max(1, min(version, 3))
    current.etag = new_etag((current.bindings, current.audit_configs))
    return current


def requested_version(value: Any) -> int:
    try:
        version = int(value or 0)
    except (TypeError, ValueError):
        raise invalid_argument(f"Invalid value for requestedPolicyVersion: {value}")  # synthetic text
    if version not in (0, 1, 3):
        raise invalid_argument(f"Invalid requested policy version: {version}.")  # synthetic text
    return version


def policy_json(policy: Policy, version: int) -> dict[str, Any]:
    """The policy as getIamPolicy returns it: a v1 reader of a conditional policy still sees version 3."""
    return policy.to_json(version)
