"""The planner: read what exists, diff it against the spec, and return a Plan of steps.

Reads run in parallel on a small thread pool (each is one HTTP round trip); nothing is written.
Steps come out in dependency order, so the plan reads top to bottom the way it will be applied.
"""

from __future__ import annotations

import difflib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.model import credconfig, iam_policy
from wizard.model.errors import ApiDisabledError, InputError, PermissionDeniedError
from wizard.model.plan import Plan, Step
from wizard.model.spec import FederationSpec

from .resources import (WORKLOAD_IDENTITY_USER, DesiredProvider, aws_provider, desired_access, eks_provider)

FOUR_APIS = ("iam.googleapis.com", "cloudresourcemanager.googleapis.com",
             "iamcredentials.googleapis.com", "sts.googleapis.com")
CRM_UPDATE_MASK = "bindings,etag"


@dataclass
class Observed:
    """What the planner read. `None` means absent; `UNKNOWN` means it could not be read yet."""

    number: str = ""
    apis: dict[str, str] = field(default_factory=dict)
    pool: dict[str, Any] | None = None
    providers: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    service_accounts: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    sa_policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    project_policy: dict[str, Any] | None = None
    issuers: dict[str, str] = field(default_factory=dict)
    files: dict[str, str | None] = field(default_factory=dict)
    iam_readable: bool = True
    crm_readable: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    """What other journeys' modules read (e.g. `gcp_to_aws`: roles and trust policies)."""


class Planner:
    def __init__(self, services: Any, spec: FederationSpec, base_dir: Path | str = ".") -> None:
        self.services = services
        self.spec = spec
        self.base_dir = Path(base_dir)

    # -- reading ------------------------------------------------------------------------
    def observe(self) -> Observed:
        gcp = self.services.gcp
        spec = self.spec
        obs = Observed()
        # EKS issuers need nothing from Google: look them up while the first Google read is in flight
        eks_lookups = ThreadPoolExecutor(max_workers=4, thread_name_prefix="xwiz-plan-eks")
        issuer_jobs = {e.provider: eks_lookups.submit(self._issuer_of, e) for e in spec.eks_to_gcp if not e.issuer}
        eks_lookups.shutdown(wait=False)
        try:
            obs.number, obs.apis = gcp.service_states(spec.gcp.project, list(FOUR_APIS))
        except BaseException:
            for job in issuer_jobs.values():
                job.cancel()
            raise
        if spec.gcp.project_number and obs.number and spec.gcp.project_number != obs.number:
            raise InputError("gcp.project_number", f"is {spec.gcp.project_number} but project {spec.gcp.project} "
                             f"has number {obs.number}", "the project's own number, or leave it out")
        obs.iam_readable = obs.apis.get("iam.googleapis.com") == "ENABLED"
        obs.crm_readable = obs.apis.get("cloudresourcemanager.googleapis.com") == "ENABLED"
        access = desired_access(spec, obs.number)
        emails = sorted({*access.sa_members, *(e.service_account for e in self._google_entries()
                                               if e.service_account)})
        jobs: dict[str, Any] = {}
        with ThreadPoolExecutor(max_workers=8, thread_name_prefix="xwiz-plan") as pool:
            if obs.iam_readable and spec.gcp.pool:
                jobs["pool"] = pool.submit(gcp.get_pool, spec.gcp.project, spec.gcp.pool)
                for entry in self._google_entries():
                    jobs[f"provider:{entry.provider}"] = pool.submit(gcp.get_provider, spec.gcp.project,
                                                                     spec.gcp.pool, entry.provider)
                for email in emails:
                    jobs[f"sa:{email}"] = pool.submit(gcp.get_service_account, email)
            if obs.crm_readable and (access.project_grants or access.audit_logs):
                jobs["project_policy"] = pool.submit(gcp.get_project_policy, spec.gcp.project)
            results = {key: future.result() for key, future in jobs.items()}
            results.update({f"issuer:{p}": job.result() for p, job in issuer_jobs.items()})
        obs.pool = results.get("pool")
        for entry in self._google_entries():
            obs.providers[entry.provider] = results.get(f"provider:{entry.provider}")
        for email in emails:
            obs.service_accounts[email] = results.get(f"sa:{email}")
        obs.project_policy = results.get("project_policy")
        for entry in spec.eks_to_gcp:
            obs.issuers[entry.provider] = entry.issuer or results[f"issuer:{entry.provider}"]
        existing = [e for e in emails if obs.service_accounts.get(e)]
        if existing:
            with ThreadPoolExecutor(max_workers=8, thread_name_prefix="xwiz-plan") as pool:
                policies = {e: pool.submit(gcp.get_service_account_policy, e) for e in existing}
                obs.sa_policies = {e: f.result() for e, f in policies.items()}
        for entry in self._google_entries():
            path = self._path(entry.credential_config)
            obs.files[entry.credential_config] = path.read_text() if path.exists() else None
        for entry in spec.eks_to_gcp:
            name = kubernetes_file(entry.credential_config)
            path = self._path(name)
            obs.files[name] = path.read_text() if path.exists() else None
        if spec.gcp_to_aws:
            from . import gcp_to_aws

            obs.extra["gcp_to_aws"] = gcp_to_aws.observe(self, obs)
        return obs

    def _issuer_of(self, entry) -> str:
        cluster = self.services.aws.describe_cluster(entry.cluster, entry.region)
        issuer = cluster.get("identity", {}).get("oidc", {}).get("issuer")
        if not issuer:
            raise InputError(f"eks_to_gcp.cluster", f"cluster {entry.cluster} has no OIDC issuer",
                             "an EKS cluster with an OIDC issuer (it has one unless it is very old)")
        return issuer

    def _google_entries(self):
        return (*self.spec.aws_to_gcp, *self.spec.eks_to_gcp)

    def _path(self, name: str) -> Path:
        p = Path(name)
        return p if p.is_absolute() else self.base_dir / p

    # -- planning -------------------------------------------------------------------------
    def plan(self) -> Plan:
        return self.plan_from(self.observe())

    def plan_from(self, obs: Observed) -> Plan:
        spec = self.spec
        steps: list[Step] = []
        warnings: list[str] = []
        project = spec.gcp.project
        missing = [a for a in FOUR_APIS if obs.apis.get(a) != "ENABLED"]
        steps.append(Step("apis", "apis", "create" if missing else "same", f"projects/{project}/services",
                          f"enable {', '.join(missing)}" if missing else "the four APIs are enabled",
                          tuple(f"+ {a}" for a in missing), desired={"services": missing}))
        unread = () if obs.iam_readable else ("IAM API not enabled yet: read again during apply",)
        if self._google_entries():
            steps.append(self._pool_step(obs, unread))
            for entry in spec.aws_to_gcp:
                steps.append(self._provider_step(obs, aws_provider(entry), unread))
            for entry in spec.eks_to_gcp:
                steps.append(self._provider_step(obs, eks_provider(entry, obs.issuers[entry.provider]), unread))
        access = desired_access(spec, obs.number)
        for email in sorted(obs.service_accounts):
            steps.append(self._service_account_step(obs, email, unread))
        if access.project_grants or access.audit_logs:
            steps.append(self._project_policy_step(obs, access))
        for email, members in sorted(access.sa_members.items()):
            steps.append(self._sa_binding_step(obs, email, members))
        for entry in self._google_entries():
            steps.append(self._credential_config_step(obs, entry))
        for entry in spec.eks_to_gcp:
            steps.append(self._kubernetes_step(obs, entry))
        if spec.gcp_to_aws:
            from . import gcp_to_aws

            steps.extend(gcp_to_aws.plan_steps(self, obs))
        return Plan(tuple(steps), tuple(warnings))

    def _pool_step(self, obs: Observed, unread) -> Step:
        g = self.spec.gcp
        name = f"projects/{g.project}/locations/global/workloadIdentityPools/{g.pool}"
        desired = {"displayName": (g.pool_display_name or g.pool)[:32]}
        pool = obs.pool
        if pool is None:
            return Step(f"pool:{g.pool}", "pool", "create", name, f"create workload identity pool {g.pool}",
                        (f"+ pool {g.pool}",), ("apis",), unread, {"body": desired})
        if pool.get("state") == "DELETED":
            return Step(f"pool:{g.pool}", "pool", "undelete", name,
                        f"undelete pool {g.pool} (soft-deleted; its ID cannot be reused for 30 days)",
                        (f"↺ pool {g.pool} (state DELETED → ACTIVE)",), ("apis",),
                        (f"pool {g.pool} was deleted; undeleting it restores its providers as they were",),
                        {"body": desired, "enable": bool(pool.get("disabled"))})
        if pool.get("disabled"):
            return Step(f"pool:{g.pool}", "pool", "update", name, f"re-enable pool {g.pool}",
                        ("~ disabled: true → false",), ("apis",), (), {"patch": {"disabled": False}, "mask": "disabled"})
        return Step(f"pool:{g.pool}", "pool", "same", name, f"pool {g.pool} exists", depends_on=("apis",))

    def _provider_step(self, obs: Observed, want: DesiredProvider, unread) -> Step:
        g = self.spec.gcp
        step_id = f"provider:{want.provider_id}"
        name = f"projects/{g.project}/locations/global/workloadIdentityPools/{g.pool}/providers/{want.provider_id}"
        deps = (f"pool:{g.pool}",)
        have = obs.providers.get(want.provider_id)
        if have is None:
            lines = [f"+ provider {want.provider_id} ({want.kind})"]
            lines += [f"+   {k}: {json.dumps(v)}" for k, v in want.body.items() if k != "displayName"]
            return Step(step_id, "provider", "create", name, f"create {want.kind.upper()} provider {want.provider_id}",
                        tuple(lines), deps, unread, {"body": want.body, "kind": want.kind})
        have_kind = "aws" if "aws" in have else "oidc" if "oidc" in have else "saml" if "saml" in have else "other"
        if have_kind != want.kind:
            raise InputError(f"{want.source}.provider",
                             f"{want.provider_id} already exists as {'a' if have_kind == 'saml' else 'an'} {have_kind.upper()} "
                             f"provider (this entry needs {want.kind.upper()}) and a provider's "
                             f"type cannot change (Google rejects it)",
                             "another provider ID; a deleted ID stays reserved for 30 days")
        patch, mask, lines, warns = self._provider_diff(have, want)
        undelete = have.get("state") == "DELETED"
        if undelete:
            lines.insert(0, f"↺ provider {want.provider_id} (state DELETED → ACTIVE)")
            warns.append(f"provider {want.provider_id} was deleted; it is undeleted rather than recreated")
        action = "undelete" if undelete else "update" if mask else "same"
        summary = {"undelete": f"undelete provider {want.provider_id}", "update": f"update provider {want.provider_id}",
                   "same": f"provider {want.provider_id} is as specified"}[action]
        return Step(step_id, "provider", action, name, summary, tuple(lines), deps, tuple(warns),
                    {"patch": patch, "mask": ",".join(mask), "kind": want.kind, "body": want.body})

    @staticmethod
    def _provider_diff(have: dict[str, Any], want: DesiredProvider):
        patch: dict[str, Any] = {}
        mask: list[str] = []
        lines: list[str] = []
        warns: list[str] = []
        body = want.body
        if have.get("disabled"):
            patch["disabled"] = False
            mask.append("disabled")
            lines.append("~ disabled: true → false")
        if want.kind == "aws":
            if have["aws"].get("accountId") != body["aws"]["accountId"]:
                patch["aws"] = body["aws"]
                mask.append("aws")
                lines.append(f"~ aws.accountId: {have['aws'].get('accountId')} → {body['aws']['accountId']}")
            have_map = have.get("attributeMapping") or {}
            from wizard.model.cel import DEFAULT_AWS_MAPPING

            if have_map and have_map != DEFAULT_AWS_MAPPING:
                patch["attributeMapping"] = dict(DEFAULT_AWS_MAPPING)
                mask.append("attributeMapping")
                lines.append("~ attributeMapping: custom → Google's default AWS mapping")
                warns.append("replaces a custom attribute mapping: bindings xwiz makes need attribute.aws_role")
        else:
            oidc_have, oidc_want = have.get("oidc", {}), body["oidc"]
            new_oidc = dict(oidc_have)
            if oidc_have.get("issuerUri") != oidc_want["issuerUri"]:
                new_oidc["issuerUri"] = oidc_want["issuerUri"]
                lines.append(f"~ oidc.issuerUri: {oidc_have.get('issuerUri')} → {oidc_want['issuerUri']}")
            audiences = list(oidc_have.get("allowedAudiences", []))
            for aud in oidc_want["allowedAudiences"]:
                if aud not in audiences:
                    audiences.append(aud)
                    lines.append(f"+ oidc.allowedAudiences: {aud}")
            new_oidc["allowedAudiences"] = audiences
            if new_oidc != oidc_have:
                patch["oidc"] = new_oidc
                mask.append("oidc")
            have_map = dict(have.get("attributeMapping") or {})
            if have_map.get("google.subject") != body["attributeMapping"]["google.subject"]:
                have_map["google.subject"] = body["attributeMapping"]["google.subject"]
                patch["attributeMapping"] = have_map
                mask.append("attributeMapping")
                lines.append("~ attributeMapping[google.subject] → assertion.sub")
        want_cond = body.get("attributeCondition", "")
        if (have.get("attributeCondition") or "") != want_cond and (want.kind == "aws" or want_cond):
            patch["attributeCondition"] = want_cond
            mask.append("attributeCondition")
            lines.append(f"- attributeCondition: {have.get('attributeCondition') or '(none)'}")
            lines.append(f"+ attributeCondition: {want_cond}")
        return patch, mask, lines, warns

    def _service_account_step(self, obs: Observed, email: str, unread) -> Step:
        entry = next((e for e in self._google_entries() if e.service_account == email), None)
        have = obs.service_accounts.get(email)
        name = f"projects/{self.spec.gcp.project}/serviceAccounts/{email}"
        if have is not None:
            return Step(f"service_account:{email}", "service_account", "same", name, f"service account {email} exists",
                        depends_on=("apis",), desired={"unique_id": have.get("uniqueId")})
        if not obs.iam_readable and entry is not None and entry.create_service_account:
            pass
        elif entry is None or not entry.create_service_account:
            if not obs.iam_readable:
                return Step(f"service_account:{email}", "service_account", "same", name,
                            f"service account {email} (checked once the IAM API is on)", depends_on=("apis",),
                            warnings=unread, desired={"must_exist": True})
            field_name = "aws_to_gcp" if entry in self.spec.aws_to_gcp else "eks_to_gcp"
            raise InputError(f"{field_name}.service_account",
                             f"{email} does not exist (IAM answered 404: check the project and spelling, M28)",
                             "an existing service account, or create_service_account = true")
        account_id, _, rest = email.partition("@")
        if not rest.startswith(self.spec.gcp.project + "."):
            raise InputError("service_account", f"{email} is not in project {self.spec.gcp.project}, so xwiz cannot "
                             "create it", f"an account in {self.spec.gcp.project}, or create it yourself")
        return Step(f"service_account:{email}", "service_account", "create", name, f"create service account {email}",
                    (f"+ service account {email}",), ("apis",), unread,
                    {"account_id": account_id, "display_name": f"xwiz federation: {account_id}"[:100]})

    def _project_policy_step(self, obs: Observed, access) -> Step:
        deps = ("apis", *(f"service_account:{e}" for e in sorted(obs.service_accounts)))
        name = f"projects/{self.spec.gcp.project} IAM policy"
        policy = obs.project_policy or {}
        edit = iam_policy.add_members(policy, access.project_grants)
        lines = list(edit.added)
        if access.audit_logs:
            lines += iam_policy.add_audit_logs(edit.policy).added
        unread = () if obs.crm_readable else ("Resource Manager API not enabled yet: read again during apply",)
        action = "update" if lines else "same"
        return Step("project_policy", "project_policy", action, name,
                    "grant project roles" + (" and enable audit logs" if access.audit_logs else "") if lines
                    else "project roles are granted", tuple(lines), deps, unread,
                    {"grants": access.project_grants, "audit_logs": access.audit_logs})

    def _sa_binding_step(self, obs: Observed, email: str, members: list[str]) -> Step:
        policy = obs.sa_policies.get(email, {})
        edit = iam_policy.add_members(policy, {WORKLOAD_IDENTITY_USER: members})
        deps = (f"service_account:{email}", f"pool:{self.spec.gcp.pool}")
        return Step(f"sa_binding:{email}", "sa_binding", "update" if edit.changed else "same",
                    f"projects/-/serviceAccounts/{email} IAM policy",
                    f"let federated identities impersonate {email}" if edit.changed
                    else f"{WORKLOAD_IDENTITY_USER} bindings on {email} are in place",
                    edit.added, deps, desired={"members": members})

    def credential_config_for(self, entry, number: str) -> dict[str, Any]:
        endpoints = self._credconfig_endpoints()
        if entry in self.spec.aws_to_gcp:
            return credconfig.aws_credential_config(number, self.spec.gcp.pool, entry.provider, entry.service_account,
                                                    imdsv2=entry.imdsv2, token_lifetime_s=entry.token_lifetime,
                                                    endpoints=endpoints)
        return credconfig.file_credential_config(number, self.spec.gcp.pool, entry.provider, entry.service_account,
                                                 token_path=entry.token_path, token_lifetime_s=entry.token_lifetime,
                                                 endpoints=endpoints)

    def _credconfig_endpoints(self):
        ep = self.services.endpoints
        if ep.is_sandbox:
            return credconfig.GoogleEndpoints.from_sandbox(ep.sandbox)
        return credconfig.GoogleEndpoints()

    def _credential_config_step(self, obs: Observed, entry) -> Step:
        text = credconfig.render(self.credential_config_for(entry, obs.number))
        return self._file_step(obs, "credential_config", entry.credential_config, text,
                               (f"provider:{entry.provider}",), "the credential configuration")

    def _kubernetes_step(self, obs: Observed, entry) -> Step:
        config = self.credential_config_for(entry, obs.number)
        text = kubernetes_manifests(entry, config)
        return self._file_step(obs, "kubernetes_snippet", kubernetes_file(entry.credential_config), text,
                               (f"provider:{entry.provider}",), "the Kubernetes Secret and pod snippet")

    def _file_step(self, obs: Observed, kind: str, name: str, text: str, deps: tuple[str, ...], what: str) -> Step:
        have = obs.files.get(name)
        path = str(self._path(name))
        desired = {"path": path, "text": text}
        step_id = f"{kind}:{name}"
        if have is None:
            return Step(step_id, kind, "create", path, f"write {what} {name}", (f"+ file {name}",), deps,
                        desired=desired)
        if have == text:
            return Step(step_id, kind, "same", path, f"{name} is up to date", depends_on=deps, desired=desired)
        diff = tuple(line.rstrip("\n") for line in difflib.unified_diff(
            have.splitlines(True), text.splitlines(True), name + " (on disk)", name + " (xwiz)", n=1))
        return Step(step_id, kind, "update", path, f"{name} differs from what xwiz would write (apply needs --force)",
                    diff, deps, (f"{name} exists with other content: xwiz will not overwrite it without --force",),
                    desired | {"needs_force": True})


def kubernetes_file(credential_config: str) -> str:
    """`credentials-eks.json` → `credentials-eks.k8s.yaml`, next to the credential configuration."""
    p = Path(credential_config)
    return str(p.with_name((p.stem if p.suffix == ".json" else p.name) + ".k8s.yaml"))


def kubernetes_manifests(entry, config: dict[str, Any]) -> str:
    """One Secret per namespace, each followed by the pod snippets (commented) of its service accounts."""
    from wizard.model import kubernetes

    projected = None
    if entry.token_path == kubernetes.PROJECTED_TOKEN_PATH:
        projected = entry.allowed_audiences[0]
    by_namespace: dict[str, list] = {}
    for ksa in entry.kubernetes_service_accounts:
        by_namespace.setdefault(ksa.namespace, []).append(ksa)
    docs = []
    for namespace, accounts in by_namespace.items():
        doc = (f"# xwiz: credential configuration for provider {entry.provider} (no secret inside).\n"
               f"# kubectl apply -f this file, then merge the commented pod snippet into your Deployment.\n")
        doc += kubernetes.credential_secret(config, namespace)
        for ksa in accounts:
            snippet = kubernetes.pod_snippet(ksa, projected_audience=projected)
            doc += "".join(f"# {line}\n" if line else "#\n" for line in snippet.splitlines())
        docs.append(doc)
    return "---\n".join(docs)
