"""Emulated cloudresourcemanager.googleapis.com v1: projects.get and the project IAM policy (cloud-facts §1.2).

google-auth's `external_account.get_project_id()` calls projects.get with the project NUMBER taken
from the audience, so every project reference accepts the ID or the number.
"""

from __future__ import annotations

from typing import Any

from ..errors_google import GoogleError
from ..http import Call, Route
from . import policies
from .state import Project

API = "cloudresourcemanager.googleapis.com"
# Fixed so demo output and snapshots stay stable; the sandbox project "was created" then.
CREATE_TIME = "2026-01-15T09:30:12.345Z"


def _caller_lacks_permission() -> GoogleError:
    # CRM v1 answers 403 "The caller does not have permission" both for a project the caller cannot
    # see and for one that does not exist (so it cannot be used to probe for project IDs).
    return GoogleError(403, "The caller does not have permission", "PERMISSION_DENIED")


def _project(call: Call, ref_param: str, permission: str) -> Project:
    state = call.sandbox.google
    project = state.find_project(call.params[ref_param])
    if project is None:
        raise _caller_lacks_permission()
    # The route's `api` check keys on `projectsId`, which CRM's flatPaths do not use: check here.
    state.require_enabled(API, project.project_id)
    if not call.sandbox.google_auth.has_permission(call.principal, permission, project):
        raise _caller_lacks_permission()
    return project


def project_json(project: Project) -> dict[str, Any]:
    """A v1 `Project`; no `parent`: the sandbox project belongs to no organization."""
    return {
        "projectNumber": project.number,  # a string (disc:cloudresourcemanager.v1)
        "projectId": project.project_id,
        "lifecycleState": "ACTIVE",
        "name": project.name or project.project_id,
        "createTime": CREATE_TIME,
    }


def get_project(call: Call):
    return project_json(_project(call, "projectId", "resourcemanager.projects.get"))


def get_iam_policy(call: Call):
    project = _project(call, "resource", "resourcemanager.projects.getIamPolicy")
    options = call.json().get("options") or {}
    version = policies.requested_version(options.get("requestedPolicyVersion"))
    return policies.policy_json(project.policy, version)


def set_iam_policy(call: Call):
    project = _project(call, "resource", "resourcemanager.projects.setIamPolicy")
    body = call.json()
    # "Project does not support `allUsers` and `allAuthenticatedUsers`" (disc:cloudresourcemanager.v1)
    policies.set_policy(project.policy, body, allow_public=False, audit_configs=True)
    return project.policy.to_json()


def routes() -> list[Route]:
    return [
        Route("GET", "v1/projects/{projectId}", "cloudresourcemanager.projects.get", get_project, api=API),
        Route("POST", "v1/projects/{resource}:getIamPolicy", "cloudresourcemanager.projects.getIamPolicy",
              get_iam_policy, api=API),
        Route("POST", "v1/projects/{resource}:setIamPolicy", "cloudresourcemanager.projects.setIamPolicy",
              set_iam_policy, api=API),
    ]
