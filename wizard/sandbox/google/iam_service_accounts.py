"""Emulated IAM v1 service accounts and their IAM policies (cloud-facts §1.4).

A service account is addressed by email or uniqueId, under its project or under `projects/-`.
A deleted account's uniqueId is never reused: re-creating the same email gives a new uniqueId,
which is why AWS trust policies must pin the uniqueId (cloud-facts M21).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ..errors_google import GoogleError, invalid_argument, not_found
from ..http import Call, Route
from . import paging, policies
from .state import PolicyVersion, Project, ServiceAccount

API = "iam.googleapis.com"
ACCOUNT_ID_RE = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])$")
MAX_DISPLAY_NAME_BYTES = 100  # disc:iam.v1 ServiceAccount.displayName
MAX_DESCRIPTION_BYTES = 256  # disc:iam.v1 ServiceAccount.description


def unknown_service_account() -> GoogleError:
    # Verbatim: `{"error":{"code":404,"message":"Unknown service account","status":"NOT_FOUND"}}`
    # (gcloud `NOT_FOUND: Unknown service account`, public HTTP logs)
    return not_found("Unknown service account")


def _project(call: Call) -> Project:
    return call.sandbox.google.project(call.params["projectsId"])


def _service_account(call: Call) -> tuple[Project, ServiceAccount]:
    """The account named by the path; `projects/-` searches every project."""
    state = call.sandbox.google
    ref = call.params["serviceAccountsId"]
    project_ref = call.params["projectsId"]
    sa = state.find_service_account(ref)
    if sa is None:
        raise unknown_service_account()
    project = state.project(sa.project_id)
    if project_ref != "-" and state.find_project(project_ref) is not project:
        raise unknown_service_account()
    if project_ref == "-":
        # The dispatcher skips the API check for `-`; the account's own project decides.
        state.require_enabled(API, project.project_id)
    return project, sa


def _require(call: Call, permission: str, project: Project, sa: ServiceAccount | None = None) -> None:
    resource = f"projects/{project.project_id}/serviceAccounts/{sa.email}" if sa else ""
    call.sandbox.google_auth.require(call.principal, permission, project, sa, resource=resource)


def create(call: Call):
    project = _project(call)
    _require(call, "iam.serviceAccounts.create", project)
    body = call.json()
    for key in body:
        if key not in ("accountId", "serviceAccount"):
            raise invalid_argument(f'Invalid JSON payload received. Unknown name "{key}": Cannot find field.')
    account_id = body.get("accountId")
    if not account_id:
        raise invalid_argument("Account ID is required.")  # synthetic text
    if not isinstance(account_id, str) or not 6 <= len(account_id) <= 30 or not ACCOUNT_ID_RE.match(account_id):
        # rule from disc:iam.v1 CreateServiceAccountRequest.accountId; the text is synthetic
        raise invalid_argument(f"Invalid account ID \"{account_id}\". It must be 6-30 characters long, and match "
                               f"the regular expression [a-z]([-a-z0-9]*[a-z0-9]).")
    details = body.get("serviceAccount") or {}
    display_name = details.get("displayName") or ""
    description = details.get("description") or ""
    if len(display_name.encode()) > MAX_DISPLAY_NAME_BYTES:
        raise invalid_argument("The display name must be at most 100 bytes.")  # synthetic text
    if len(description.encode()) > MAX_DESCRIPTION_BYTES:
        raise invalid_argument("The description must be at most 256 bytes.")  # synthetic text
    email = f"{account_id}@{project.project_id}.iam.gserviceaccount.com"
    if email in project.service_accounts:
        # Verbatim form: "Service account X already exists within project projects/P." (public Terraform
        # logs), with a ResourceInfo detail naming the account.
        raise GoogleError(409, f"Service account {account_id} already exists within project "
                               f"projects/{project.project_id}.", "ALREADY_EXISTS",
                          [{"@type": "type.googleapis.com/google.rpc.ResourceInfo",
                            "resourceName": f"projects/{project.project_id}/serviceAccounts/{email}"}])
    sa = call.sandbox.google.add_service_account(project, account_id, display_name, description,
                                                 now=call.sandbox.clock.now())
    return sa.to_json()


def get(call: Call):
    project, sa = _service_account(call)
    _require(call, "iam.serviceAccounts.get", project, sa)
    return sa.to_json()


def list_accounts(call: Call):
    project = _project(call)
    _require(call, "iam.serviceAccounts.list", project)
    accounts = [sa for _, sa in sorted(project.service_accounts.items())]
    page, token = paging.page(accounts, call.query("pageSize"), call.query("pageToken"), default=20, maximum=100)
    out: dict[str, Any] = {}
    if page:
        out["accounts"] = [sa.to_json() for sa in page]
    if token:
        out["nextPageToken"] = token
    return out


def delete(call: Call):
    project, sa = _service_account(call)
    _require(call, "iam.serviceAccounts.delete", project, sa)
    del project.service_accounts[sa.email]
    project.deleted_service_accounts.append(sa)
    # Bindings that named it now name `deleted:serviceAccount:EMAIL?uid=ID` (disc:iam.v1 Binding.members),
    # so a re-created account with the same email does not inherit them.
    _mark_deleted_member(call, sa)
    return {}


def _mark_deleted_member(call: Call, sa: ServiceAccount) -> None:
    old = f"serviceAccount:{sa.email}"
    new = f"deleted:serviceAccount:{sa.email}?uid={sa.unique_id}"
    now = call.sandbox.clock.now()
    for project in call.sandbox.google.projects.values():
        holders = [(project.policy, None)] + [(other.policy, other) for other in project.service_accounts.values()]
        for policy, owner in holders:
            changed = False
            for binding in policy.bindings:
                if old in binding.get("members", []):
                    binding["members"] = [new if m == old else m for m in binding["members"]]
                    changed = True
            if changed and owner is not None:
                owner.history.append(PolicyVersion(now, copy.deepcopy(policy.bindings)))


def get_iam_policy(call: Call):
    project, sa = _service_account(call)
    _require(call, "iam.serviceAccounts.getIamPolicy", project, sa)
    version = policies.requested_version(call.query("options.requestedPolicyVersion"))
    return policies.policy_json(sa.policy, version)


def set_iam_policy(call: Call):
    project, sa = _service_account(call)
    _require(call, "iam.serviceAccounts.setIamPolicy", project, sa)
    # Service accounts take allUsers/allAuthenticatedUsers (nothing documents otherwise) and no auditConfigs.
    policies.set_policy(sa.policy, call.json(), allow_public=True, audit_configs=False)
    # IAM Credentials reads this history through the propagation-delay knob (cloud-facts M09).
    sa.history.append(PolicyVersion(call.sandbox.clock.now(), copy.deepcopy(sa.policy.bindings)))
    return sa.policy.to_json()


def routes() -> list[Route]:
    accounts = "v1/projects/{projectsId}/serviceAccounts"
    account = accounts + "/{serviceAccountsId}"
    p = "iam.projects.serviceAccounts"
    return [
        Route("POST", accounts, f"{p}.create", create, api=API),
        Route("GET", accounts, f"{p}.list", list_accounts, api=API),
        Route("GET", account, f"{p}.get", get, api=API),
        Route("DELETE", account, f"{p}.delete", delete, api=API),
        Route("POST", account + ":getIamPolicy", f"{p}.getIamPolicy", get_iam_policy, api=API),
        Route("POST", account + ":setIamPolicy", f"{p}.setIamPolicy", set_iam_policy, api=API),
    ]
