"""Emulated serviceusage.googleapis.com v1: which APIs are on in a project (cloud-facts §1.1).

Routes are the discovery document's flatPaths (`v1/{v1Id}/{v1Id1}/services/...`, where `v1Id` is
`projects` and `v1Id1` the project ID or number). Names in responses always use the project number.
"""

from __future__ import annotations

import uuid
from typing import Any

from ..errors_google import GoogleError, error_info, invalid_argument, not_found
from ..http import Call, Route
from . import paging
from .state import Project

TYPE_PREFIX = "type.googleapis.com/google.api.serviceusage.v1."

# The services the sandbox knows; anything else does not exist (SERVICE_CONFIG_NOT_FOUND...).
KNOWN_SERVICES: dict[str, str] = {
    "iam.googleapis.com": "Identity and Access Management (IAM) API",
    "cloudresourcemanager.googleapis.com": "Cloud Resource Manager API",
    "iamcredentials.googleapis.com": "IAM Service Account Credentials API",
    "sts.googleapis.com": "Security Token Service API",
    "serviceusage.googleapis.com": "Service Usage API",
    "logging.googleapis.com": "Cloud Logging API",
    "storage.googleapis.com": "Cloud Storage API",
    "alloydb.googleapis.com": "AlloyDB API",
    "sqladmin.googleapis.com": "Cloud SQL Admin API",
    "compute.googleapis.com": "Compute Engine API",
    "container.googleapis.com": "Kubernetes Engine API",
}

MAX_BATCH_ENABLE = 20  # "A single request can enable a maximum of 20 services at a time." (disc:serviceusage.v1)
MAX_BATCH_GET = 30  # "A single request can get a maximum of 30 services at a time." (disc:serviceusage.v1)
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
NOOP_OPERATION = "operations/noop.DONE_OPERATION"


def service_not_found(service_ids: list[str]) -> GoogleError:
    # gcloud: "PERMISSION_DENIED: Not found or permission denied for service(s): x.googleapis.com."
    # with reason SERVICE_CONFIG_NOT_FOUND_OR_PERMISSION_DENIED and metadata.services (public logs and
    # clients that switch on the reason; the domain is inferred).
    joined = ", ".join(service_ids)
    return GoogleError(403, f"Not found or permission denied for service(s): {joined}.", "PERMISSION_DENIED",
                       [error_info("SERVICE_CONFIG_NOT_FOUND_OR_PERMISSION_DENIED", "serviceusage.googleapis.com",
                                   {"services": joined})])


def _project(call: Call) -> Project:
    if call.params.get("v1Id") != "projects":
        # synthetic text: the sandbox has no folders or organizations
        raise invalid_argument(f"Invalid resource parent: {call.params.get('v1Id')}/{call.params.get('v1Id1')}.")
    project = call.sandbox.google.project(call.params["v1Id1"])
    # Service Usage answers SERVICE_DISABLED about itself too (consumer = the project here; on real
    # Google it is the caller's quota project, cloud-facts A8)
    call.sandbox.google.require_enabled("serviceusage.googleapis.com", project.project_id)
    return project


def _require(call: Call, permission: str, project: Project) -> None:
    call.sandbox.google_auth.require(call.principal, permission, project,
                                     resource=f"projects/{project.number}")


def _known(service_id: str) -> str:
    if service_id not in KNOWN_SERVICES:
        raise service_not_found([service_id])
    return service_id


def service_json(project: Project, service_id: str) -> dict[str, Any]:
    """A `GoogleApiServiceusageV1Service` (disc:serviceusage.v1), trimmed to the fields clients read."""
    return {
        "name": f"projects/{project.number}/services/{service_id}",
        "config": {"name": service_id, "title": KNOWN_SERVICES[service_id], "documentation": {}, "quota": {},
                   "authentication": {}, "usage": {"requirements": [
                       "serviceusage.googleapis.com/tos/cloud"]}},
        "state": "ENABLED" if project.is_enabled(service_id) else "DISABLED",
        "parent": f"projects/{project.number}",
    }


def _operation(call: Call, project: Project, response: dict[str, Any], resource_names: list[str],
               *, noop: bool) -> dict[str, Any]:
    """An Operation; an already-done change is Google's no-op operation, done at once (cloud-facts §1.1)."""
    state = call.sandbox.google
    metadata = {"@type": TYPE_PREFIX + "OperationMetadata", "resourceNames": resource_names}
    if noop:
        op = state.new_operation(NOOP_OPERATION, response=response, metadata=metadata, polls=0)
        return op.to_json()
    name = f"operations/acf.p2-{project.number}-{uuid.uuid4()}"
    op = state.new_operation(name, response=response, metadata=metadata, polls=1)
    return op.to_json()


# -- handlers ----------------------------------------------------------------------------------

def get_service(call: Call):
    project = _project(call)
    _require(call, "serviceusage.services.get", project)
    return service_json(project, _known(call.params["servicesId"]))


def list_services(call: Call):
    project = _project(call)
    _require(call, "serviceusage.services.list", project)
    wanted = None
    flt = (call.query("filter") or "").strip()
    if flt:
        key, _, value = flt.replace(" ", "").partition(":")
        if key != "state" or value not in ("ENABLED", "DISABLED"):
            raise invalid_argument(f"Invalid filter: {flt}")  # synthetic text
        wanted = value
    services = [service_json(project, s) for s in sorted(KNOWN_SERVICES)]
    if wanted:
        services = [s for s in services if s["state"] == wanted]
    page, token = paging.page(services, call.query("pageSize"), call.query("pageToken"),
                              default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE)
    out: dict[str, Any] = {"services": page} if page else {}
    if token:
        out["nextPageToken"] = token
    return out


def batch_get(call: Call):
    project = _project(call)
    _require(call, "serviceusage.services.get", project)
    names = call.request.args.getlist("names")
    if not names:
        # reason SU_MISSING_NAMES is what clients see for an empty list; the text is synthetic
        raise GoogleError(400, "No service names provided.", "INVALID_ARGUMENT",
                          [error_info("SU_MISSING_NAMES", "serviceusage.googleapis.com")])
    if len(names) > MAX_BATCH_GET:
        raise invalid_argument(f"A maximum of {MAX_BATCH_GET} services can be requested in a batch.")  # synthetic
    service_ids = []
    for name in names:
        parts = name.split("/")
        if len(parts) != 4 or parts[0] != "projects" or parts[2] != "services":
            raise invalid_argument(f"Invalid service name: {name}")  # synthetic text
        if call.sandbox.google.find_project(parts[1]) is not project:
            raise invalid_argument(f"Service {name} does not belong to the parent.")  # synthetic text
        service_ids.append(parts[3])
    unknown = [s for s in service_ids if s not in KNOWN_SERVICES]
    if unknown:
        raise service_not_found(unknown)
    return {"services": [service_json(project, s) for s in service_ids]}


def enable(call: Call):
    project = _project(call)
    _require(call, "serviceusage.services.enable", project)
    service_id = _known(call.params["servicesId"])
    noop = project.is_enabled(service_id)
    project.services[service_id] = "ENABLED"
    response = {"@type": TYPE_PREFIX + "EnableServiceResponse", "service": service_json(project, service_id)}
    return _operation(call, project, response, [f"projects/{project.number}/services/{service_id}"], noop=noop)


def disable(call: Call):
    project = _project(call)
    _require(call, "serviceusage.services.disable", project)
    service_id = _known(call.params["servicesId"])
    noop = not project.is_enabled(service_id)
    project.services[service_id] = "DISABLED"
    response = {"@type": TYPE_PREFIX + "DisableServiceResponse", "service": service_json(project, service_id)}
    return _operation(call, project, response, [f"projects/{project.number}/services/{service_id}"], noop=noop)


def batch_enable(call: Call):
    project = _project(call)
    _require(call, "serviceusage.services.enable", project)
    service_ids = call.json().get("serviceIds") or []
    if not isinstance(service_ids, list) or not service_ids:
        raise invalid_argument("serviceIds must not be empty.")  # synthetic text
    if len(service_ids) > MAX_BATCH_ENABLE:
        raise invalid_argument(f"A maximum of {MAX_BATCH_ENABLE} services can be enabled in a batch.")  # synthetic
    unknown = [s for s in service_ids if s not in KNOWN_SERVICES]
    if unknown:
        # "The operation is atomic: if enabling any service fails, then the entire batch fails, and
        # no state changes occur." (disc:serviceusage.v1)
        raise service_not_found(unknown)
    noop = all(project.is_enabled(s) for s in service_ids)
    for service_id in service_ids:
        project.services[service_id] = "ENABLED"
    response = {"@type": TYPE_PREFIX + "BatchEnableServicesResponse",
                "services": [service_json(project, s) for s in service_ids]}
    names = [f"projects/{project.number}/services/{s}" for s in service_ids]
    return _operation(call, project, response, names, noop=noop)


def get_operation(call: Call):
    name = f"operations/{call.params['operationsId']}"
    op = call.sandbox.google.operations.get(name)
    if op is None or not name.startswith(("operations/acf.", NOOP_OPERATION)):
        raise not_found("Requested entity was not found.")
    return op.to_json(advance=True)


def routes() -> list[Route]:
    base = "v1/{v1Id}/{v1Id1}/services"
    return [
        Route("GET", base + "/{servicesId}", "serviceusage.services.get", get_service),
        Route("GET", base, "serviceusage.services.list", list_services),
        Route("GET", base + ":batchGet", "serviceusage.services.batchGet", batch_get),
        Route("POST", base + "/{servicesId}:enable", "serviceusage.services.enable", enable),
        Route("POST", base + "/{servicesId}:disable", "serviceusage.services.disable", disable),
        Route("POST", base + ":batchEnable", "serviceusage.services.batchEnable", batch_enable),
        Route("GET", "v1/operations/{operationsId}", "serviceusage.operations.get", get_operation),
    ]
