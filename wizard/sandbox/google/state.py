"""State of the emulated Google Cloud: projects, enabled services, pools, providers, service accounts.

Plain data guarded by the sandbox's lock. Handlers (serviceusage.py, crm.py, iam_pools.py,
iam_service_accounts.py, sts.py, iamcredentials.py) read and change it.
"""

from __future__ import annotations

import copy
import hashlib
import base64
import itertools
import secrets
from dataclasses import dataclass, field
from typing import Any

from ..errors_google import GoogleError, not_found, service_disabled

SOFT_DELETE_S = 30 * 24 * 3600  # "You can undelete a pool for 30 days" (disc:iam.v1)

FOUR_APIS = ("iam.googleapis.com", "cloudresourcemanager.googleapis.com",
             "iamcredentials.googleapis.com", "sts.googleapis.com")


def new_etag(payload: Any) -> str:
    """An opaque etag that changes with every write (Google's are base64 of 8 bytes, e.g. `BwX9Ab1cDeE=`)."""
    raw = hashlib.sha256(repr(payload).encode() + secrets.token_bytes(8)).digest()[:8]
    return base64.b64encode(raw).decode()


@dataclass
class Policy:
    """An IAM policy (same shape in iam.v1 and cloudresourcemanager.v1)."""

    version: int = 1
    bindings: list[dict[str, Any]] = field(default_factory=list)
    audit_configs: list[dict[str, Any]] = field(default_factory=list)
    etag: str = "ACAB"  # Google's etag of an empty policy

    def to_json(self, requested_version: int = 1) -> dict[str, Any]:
        out: dict[str, Any] = {"version": self.version, "etag": self.etag}
        if self.bindings:
            out["bindings"] = copy.deepcopy(self.bindings)
        if self.audit_configs:
            out["auditConfigs"] = copy.deepcopy(self.audit_configs)
        return out

    def members_of(self, role: str) -> list[str]:
        return [m for b in self.bindings if b.get("role") == role for m in b.get("members", [])]


@dataclass
class PolicyVersion:
    """A policy as it was set at `at`; IAM Credentials sees it only after the propagation delay."""

    at: float
    bindings: list[dict[str, Any]]


@dataclass
class ServiceAccount:
    project_id: str
    account_id: str
    unique_id: str
    display_name: str = ""
    description: str = ""
    disabled: bool = False
    policy: Policy = field(default_factory=Policy)
    history: list[PolicyVersion] = field(default_factory=list)

    @property
    def email(self) -> str:
        return f"{self.account_id}@{self.project_id}.iam.gserviceaccount.com"

    def to_json(self) -> dict[str, Any]:
        out = {
            "name": f"projects/{self.project_id}/serviceAccounts/{self.email}",
            "projectId": self.project_id,
            "uniqueId": self.unique_id,
            "email": self.email,
            "oauth2ClientId": self.unique_id,  # uniqueId == oauth2ClientId (cloud-facts §1.4)
            "etag": "MDEwMjE5MjA=",  # "Deprecated. Do not use." (disc:iam.v1)
        }
        if self.display_name:
            out["displayName"] = self.display_name
        if self.description:
            out["description"] = self.description
        if self.disabled:
            out["disabled"] = True
        return out

    def effective_bindings(self, now: float, delay_s: float) -> list[dict[str, Any]]:
        """The bindings IAM Credentials sees at `now`: the newest version older than the delay."""
        seen: list[dict[str, Any]] = []
        for version in self.history:
            if version.at + delay_s <= now:
                seen = version.bindings
        return seen


@dataclass
class Provider:
    pool_id: str
    provider_id: str
    display_name: str = ""
    description: str = ""
    disabled: bool = False
    state: str = "ACTIVE"  # ACTIVE | DELETED
    expire_time: float | None = None
    attribute_mapping: dict[str, str] = field(default_factory=dict)
    attribute_condition: str = ""
    aws: dict[str, Any] | None = None
    oidc: dict[str, Any] | None = None


@dataclass
class Pool:
    pool_id: str
    display_name: str = ""
    description: str = ""
    disabled: bool = False
    state: str = "ACTIVE"
    expire_time: float | None = None
    mode: str = "FEDERATION_ONLY"
    providers: dict[str, Provider] = field(default_factory=dict)


@dataclass
class Project:
    project_id: str
    number: str
    name: str = ""
    services: dict[str, str] = field(default_factory=dict)  # service name -> ENABLED | DISABLED
    policy: Policy = field(default_factory=Policy)
    pools: dict[str, Pool] = field(default_factory=dict)
    service_accounts: dict[str, ServiceAccount] = field(default_factory=dict)  # by email
    deleted_service_accounts: list[ServiceAccount] = field(default_factory=list)

    def is_enabled(self, service: str) -> bool:
        return self.services.get(service) == "ENABLED"


@dataclass
class Operation:
    name: str
    metadata: dict[str, Any] | None = None
    response: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    polls_until_done: int = 1
    """Operations start not done and finish after this many `operations.get` calls, so clients poll."""

    def to_json(self, *, advance: bool = False) -> dict[str, Any]:
        if advance and self.polls_until_done > 0:
            self.polls_until_done -= 1
        out: dict[str, Any] = {"name": self.name}
        if self.metadata:
            out["metadata"] = self.metadata
        if self.polls_until_done <= 0:
            out["done"] = True
            if self.error is not None:
                out["error"] = self.error
            elif self.response is not None:
                out["response"] = self.response
        return out


class GoogleState:
    """All Google-side state. Callers hold `Sandbox.lock` while they use it."""

    def __init__(self) -> None:
        self.projects: dict[str, Project] = {}
        self.operations: dict[str, Operation] = {}
        self._unique_ids = itertools.count(104_215_871_330_214_000_001)
        self._numbers = itertools.count(0)

    # -- projects ---------------------------------------------------------------------------
    def add_project(self, project_id: str, number: str, enabled: tuple[str, ...] = ("serviceusage.googleapis.com",)) -> Project:
        project = Project(project_id, number, name=project_id)
        for service in enabled:
            project.services[service] = "ENABLED"
        self.projects[project_id] = project
        return project

    def project(self, ref: str) -> Project:
        """A project by ID or by number (google-auth calls projects.get with the number)."""
        if ref in self.projects:
            return self.projects[ref]
        for project in self.projects.values():
            if project.number == ref:
                return project
        # CRM v1 answers 403 rather than 404 for a project the caller cannot see (it may not exist)
        raise GoogleError(403, f"The caller does not have permission", "PERMISSION_DENIED")

    def find_project(self, ref: str) -> Project | None:
        try:
            return self.project(ref)
        except GoogleError:
            return None

    def require_enabled(self, service: str, project_ref: str) -> Project:
        project = self.find_project(project_ref)
        if project is None:
            return None  # the handler reports the missing project in its own words
        if not project.is_enabled(service):
            raise service_disabled(service, project.number)
        return project

    # -- service accounts -------------------------------------------------------------------
    def new_unique_id(self) -> str:
        return str(next(self._unique_ids))

    def find_service_account(self, ref: str) -> ServiceAccount | None:
        """By email or uniqueId, in any project (`projects/-/serviceAccounts/...`)."""
        for project in self.projects.values():
            for sa in project.service_accounts.values():
                if ref in (sa.email, sa.unique_id):
                    return sa
        return None

    def add_service_account(self, project: Project, account_id: str, display_name: str = "",
                            description: str = "", now: float = 0.0) -> ServiceAccount:
        sa = ServiceAccount(project.project_id, account_id, self.new_unique_id(), display_name, description)
        sa.history.append(PolicyVersion(now, []))
        project.service_accounts[sa.email] = sa
        return sa

    # -- pools and providers ---------------------------------------------------------------
    def pool(self, project: Project, pool_id: str) -> Pool:
        pool = project.pools.get(pool_id)
        if pool is None:
            raise not_found(f"Requested entity was not found.")
        return pool

    def pool_by_number(self, number: str, pool_id: str) -> Pool | None:
        for project in self.projects.values():
            if project.number == number:
                return project.pools.get(pool_id)
        return None

    def purge_expired(self, now: float) -> None:
        """Soft-deleted pools and providers past their 30 days are gone for good."""
        for project in self.projects.values():
            for pool_id, pool in list(project.pools.items()):
                if pool.state == "DELETED" and pool.expire_time is not None and pool.expire_time <= now:
                    del project.pools[pool_id]
                    continue
                for pid, prov in list(pool.providers.items()):
                    if prov.state == "DELETED" and prov.expire_time is not None and prov.expire_time <= now:
                        del pool.providers[pid]

    # -- operations ----------------------------------------------------------------------
    def new_operation(self, name: str, *, response: dict | None = None, metadata: dict | None = None,
                      error: dict | None = None, polls: int = 1) -> Operation:
        op = Operation(name, metadata, response, error, polls)
        self.operations[name] = op
        return op
