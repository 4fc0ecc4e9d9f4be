"""Named scenarios: the state the sandbox is reset to. All of them live here, in one place.

`empty`  a Google project with only Service Usage on, an admin service account (Owner), the
         workload service account the GCE metadata server hands out; AWS accounts `workload` and
         `second`, an admin user, an EC2 instance role, an EKS cluster. Nothing federated yet:
         this is where a user starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from . import identities as ids

if TYPE_CHECKING:
    from .core import Sandbox

SCENARIOS: dict[str, Callable[["Sandbox"], None]] = {}


def scenario(name: str):
    def register(fn: Callable[["Sandbox"], None]):
        SCENARIOS[name] = fn
        return fn

    return register


def apply(sb: "Sandbox", name: str) -> None:
    if name not in SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; expected one of {', '.join(sorted(SCENARIOS))}")
    _base(sb)
    SCENARIOS[name](sb)


def _base(sb: "Sandbox") -> None:
    """What every scenario starts from."""
    from .google.state import GoogleState

    now = sb.clock.now()
    sb.google = GoogleState()
    sb.google_auth.service_account_keys.clear()
    project = sb.google.add_project(ids.PROJECT_ID, ids.PROJECT_NUMBER)
    admin = sb.google.add_service_account(project, ids.ADMIN_SA_ID, "xwiz sandbox admin", now=now)
    sb.google_auth.service_account_keys[sb.keys.admin_sa.kid] = (admin.email, sb.keys.admin_sa.public_key)
    project.policy.bindings.append({"role": "roles/owner", "members": [f"serviceAccount:{admin.email}"]})
    project.policy.etag = "BwXwiz0001="
    sb.google.add_service_account(project, ids.WORKLOAD_SA_ID, "GCE workload", now=now)
    sb.aws.reset()


@scenario("empty")
def _empty(sb: "Sandbox") -> None:
    """Nothing federated: the start of every journey."""
