"""`xwiz export`: the same plan as Terraform resources or as gcloud/aws commands (pure text generation).

What is exported comes from the spec and, unless `everything` is asked for, from what the planner
observed: only what `xwiz apply` would change (missing APIs, new or soft-deleted pools and
providers, members not yet bound, files not yet written). With `everything`, nothing is read:
the project number comes from the spec or the caller, and an EKS issuer not in the spec is looked
up by the generated code itself (`data "aws_eks_cluster"`, `aws eks describe-cluster`).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from wizard.model import credconfig, iam_policy
from wizard.model.spec import FederationSpec

from .planner import FOUR_APIS, Observed, kubernetes_file
from .resources import WORKLOAD_IDENTITY_USER, DesiredProvider, aws_provider, desired_access, eks_provider


@dataclass
class ExportItems:
    """Everything to export, already filtered to the changes when a plan was observed."""

    project: str
    number: str
    pool: str | None
    services: list[str] = field(default_factory=list)
    pool_action: str | None = None  # create | undelete | enable | None (exists)
    providers: list[tuple[DesiredProvider, str, Any]] = field(default_factory=list)
    """(provider, action create|update|undelete, entry)"""
    service_accounts: list[tuple[str, str]] = field(default_factory=list)
    """(email, display name) to create"""
    project_grants: list[tuple[str, str]] = field(default_factory=list)
    audit_logs: list[tuple[str, str]] = field(default_factory=list)
    sa_members: list[tuple[str, str]] = field(default_factory=list)
    cred_configs: list[tuple[Any, str]] = field(default_factory=list)
    """(entry, the rendered configuration)"""
    created_sas: set[str] = field(default_factory=set)


ISSUER_PLACEHOLDER = "https://oidc.eks.REGION.amazonaws.com/id/CLUSTER-ID"


def collect(spec: FederationSpec, number: str, obs: Observed | None, planner: Any) -> ExportItems:
    """The resources to export: all of them (`obs` None) or only what differs from `obs`."""
    g = spec.gcp
    items = ExportItems(g.project, number, g.pool)
    everything = obs is None
    items.services = [a for a in FOUR_APIS if everything or obs.apis.get(a) != "ENABLED"]
    google_entries = (*spec.aws_to_gcp, *spec.eks_to_gcp)
    if google_entries and g.pool:
        pool = None if everything else obs.pool
        if everything or pool is None:
            items.pool_action = "create"
        elif pool.get("state") == "DELETED":
            items.pool_action = "undelete"
        elif pool.get("disabled"):
            items.pool_action = "enable"
    for entry in spec.aws_to_gcp:
        _provider_item(items, aws_provider(entry), entry, obs)
    for entry in spec.eks_to_gcp:
        issuer = entry.issuer or (obs.issuers.get(entry.provider) if obs else None) or ""
        _provider_item(items, eks_provider(entry, issuer), entry, obs)
    access = desired_access(spec, number)
    for email in sorted({e.service_account for e in google_entries if e.service_account}):
        entry = next(e for e in google_entries if e.service_account == email)
        exists = obs is not None and obs.service_accounts.get(email) is not None
        if entry.create_service_account and not exists:
            items.service_accounts.append((email, f"xwiz federation: {email.partition('@')[0]}"[:100]))
            items.created_sas.add(email)
    project_policy = {} if everything else (obs.project_policy or {})
    edit = iam_policy.add_members(project_policy, access.project_grants)
    items.project_grants = [tuple(line[2:].split(": ", 1)) for line in edit.added]  # "+ role: member"
    if access.audit_logs:
        have = {(c.get("service"), lc.get("logType")) for c in project_policy.get("auditConfigs", []) or []
                for lc in c.get("auditLogConfigs", []) or []}
        items.audit_logs = [(s, t) for s in iam_policy.FEDERATION_AUDIT_SERVICES for t in iam_policy.AUDIT_LOG_TYPES
                            if (s, t) not in have]
    for email, members in sorted(access.sa_members.items()):
        policy = {} if everything else obs.sa_policies.get(email, {})
        have = iam_policy.members_of(policy, WORKLOAD_IDENTITY_USER)
        items.sa_members += [(email, m) for m in members if m not in have]
    for entry in google_entries:
        if not everything and obs.files.get(entry.credential_config) is not None:
            continue  # already written (the plan says whether it differs)
        # the configuration names the provider, never the issuer, so it is known even before the lookup
        items.cred_configs.append((entry, credconfig.render(planner.credential_config_for(entry, number))))
    return items


def _provider_item(items: ExportItems, want: DesiredProvider, entry: Any, obs: Observed | None) -> None:
    if obs is None:
        items.providers.append((want, "create", entry))
        return
    have = obs.providers.get(want.provider_id)
    if have is None:
        items.providers.append((want, "create", entry))
        return
    from .planner import Planner

    _, mask, _, _ = Planner._provider_diff(have, want)
    if have.get("state") == "DELETED":
        items.providers.append((want, "undelete", entry))
    elif mask:
        items.providers.append((want, "update", entry))


# ------------------------------------------------------------------------------------------ shell
def _q(value: str) -> str:
    return shlex.quote(value)


def _mapping_flag(mapping: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in mapping.items())


def to_shell(items: ExportItems) -> str:
    p = items.project
    out = ["#!/bin/sh", "# Generated by `xwiz export --format shell`: the same changes `xwiz apply` makes.",
           "set -eu", ""]
    if items.services:
        out += ["# The four APIs the exchange needs", f"gcloud services enable {' '.join(items.services)} "
                f"--project={_q(p)}", ""]
    pool_flags = f"--project={_q(p)} --location=global"
    if items.pool_action:
        out.append("# Workload identity pool")
        if items.pool_action == "create":
            out.append(f"gcloud iam workload-identity-pools create {_q(items.pool)} {pool_flags} "
                       f"--display-name={_q(items.pool[:32])}")
        elif items.pool_action == "undelete":
            out.append(f"gcloud iam workload-identity-pools undelete {_q(items.pool)} {pool_flags}")
        else:
            out.append(f"gcloud iam workload-identity-pools update {_q(items.pool)} {pool_flags} --no-disabled")
        out.append("")
    issuer_vars: dict[str, str] = {}
    for want, action, entry in items.providers:
        kind = want.kind
        base = (f"{_q(want.provider_id)} {pool_flags} --workload-identity-pool={_q(items.pool)}")
        out.append(f"# {kind.upper()} provider {want.provider_id}")
        if action == "undelete":
            out.append(f"gcloud iam workload-identity-pools providers undelete {base}")
            action = "update"
        verb = f"{'create' if action == 'create' else 'update'}-{kind}"
        flags = [f"--display-name={_q(want.body['displayName'])}"]
        if kind == "aws":
            flags.append(f"--account-id={_q(want.body['aws']['accountId'])}")
        else:
            issuer = want.body["oidc"]["issuerUri"]
            if issuer:
                flags.append(f"--issuer-uri={_q(issuer)}")
            else:
                var = "ISSUER_" + re.sub(r"[^A-Za-z0-9]", "_", want.provider_id).upper()
                issuer_vars[want.provider_id] = var
                out.append(f"{var}=\"$(aws eks describe-cluster --name {_q(entry.cluster)} --region "
                           f"{_q(entry.region)} --query cluster.identity.oidc.issuer --output text)\"")
                flags.append(f"--issuer-uri=\"${var}\"")
            flags.append(f"--allowed-audiences={_q(','.join(want.body['oidc']['allowedAudiences']))}")
            flags.append(f"--attribute-mapping={_q(_mapping_flag(want.body['attributeMapping']))}")
        if want.body.get("attributeCondition"):
            flags.append(f"--attribute-condition={_q(want.body['attributeCondition'])}")
        out.append(f"gcloud iam workload-identity-pools providers {verb} {base} \\\n    " + " \\\n    ".join(flags))
        out.append("")
    for email, display in items.service_accounts:
        out += ["# Service account", f"gcloud iam service-accounts create {_q(email.partition('@')[0])} "
                f"--project={_q(p)} --display-name={_q(display)}", ""]
    if items.project_grants:
        out.append("# Project roles")
        for role, member in items.project_grants:
            out.append(f"gcloud projects add-iam-policy-binding {_q(p)} --member={_q(member)} --role={_q(role)} "
                       f"--condition=None")
        out.append("")
    if items.audit_logs:
        configs: dict[str, list[str]] = {}
        for service, log_type in items.audit_logs:
            configs.setdefault(service, []).append(log_type)
        wanted = [{"service": s, "auditLogConfigs": [{"logType": t} for t in ts]} for s, ts in configs.items()]
        out += ["# Data Access audit logs: gcloud has no flag for auditConfigs, so edit the policy (keep the etag):",
                f"gcloud projects get-iam-policy {_q(p)} --format=json > policy.json",
                f"# add to \"auditConfigs\" in policy.json: {json.dumps(wanted)}",
                f"# gcloud projects set-iam-policy {_q(p)} policy.json", ""]
    if items.sa_members:
        out.append("# Let the federated identities impersonate the service account")
        for email, member in items.sa_members:
            out.append(f"gcloud iam service-accounts add-iam-policy-binding {_q(email)} --project={_q(p)} "
                       f"--role={WORKLOAD_IDENTITY_USER} --member={_q(member)}")
        out.append("")
    for entry, _ in items.cred_configs:
        provider = (f"projects/{items.number}/locations/global/workloadIdentityPools/{items.pool}/"
                    f"providers/{entry.provider}")
        flags = []
        if entry.service_account:
            flags.append(f"--service-account={_q(entry.service_account)}")
        if hasattr(entry, "imdsv2"):
            flags.append("--aws")
            if entry.imdsv2:
                flags.append("--enable-imdsv2")
        else:
            flags += [f"--credential-source-file={_q(entry.token_path)}", "--credential-source-type=text"]
        if entry.token_lifetime:
            flags.append(f"--service-account-token-lifetime-seconds={int(entry.token_lifetime)}")
        flags.append(f"--output-file={_q(entry.credential_config)}")
        out += [f"# Credential configuration for {entry.provider} (no secret inside)",
                f"gcloud iam workload-identity-pools create-cred-config {_q(provider)} \\\n    " + " \\\n    ".join(flags),
                ""]
        if not hasattr(entry, "imdsv2"):
            out += [f"# The Kubernetes Secret and pod snippet: see `xwiz apply` ({kubernetes_file(entry.credential_config)})",
                    ""]
    return "\n".join(out).rstrip() + "\n"


# -------------------------------------------------------------------------------------- terraform
def _hcl(value: Any) -> str:
    """An HCL literal: JSON strings with template sequences escaped (`${` and `%{` are live in HCL)."""
    if isinstance(value, str):
        return json.dumps(value).replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_hcl(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{\n" + "".join(f"    {_hcl(k)} = {_hcl(v)}\n" for k, v in value.items()) + "  }"
    return json.dumps(value)


def _tf_name(*parts: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts)).strip("_").lower() or "x"
    return name if not name[0].isdigit() else "r_" + name


def to_terraform(items: ExportItems) -> str:
    p = items.project
    out = ["# Generated by `xwiz export --format terraform`: the same changes `xwiz apply` makes.", ""]
    needs_local = bool(items.cred_configs)
    aws_regions = sorted({entry.region for want, _, entry in items.providers
                          if want.kind == "oidc" and not want.body["oidc"]["issuerUri"]})
    out += ["terraform {", "  required_providers {", '    google = { source = "hashicorp/google" }']
    if aws_regions:
        out.append('    aws = { source = "hashicorp/aws" }')
    if needs_local:
        out.append('    local = { source = "hashicorp/local" }')
    out += ["  }", "}", ""]
    for region in aws_regions:
        out += [f'provider "aws" {{', f"  alias  = {_hcl(_tf_name(region))}", f"  region = {_hcl(region)}", "}", ""]
    for service in items.services:
        out += [f'resource "google_project_service" "{_tf_name(service.split(".")[0])}" {{',
                f"  project            = {_hcl(p)}", f"  service            = {_hcl(service)}",
                "  disable_on_destroy = false", "}", ""]
    api_deps = [f"google_project_service.{_tf_name(s.split('.')[0])}" for s in items.services]
    depends = f"  depends_on = [{', '.join(api_deps)}]" if api_deps else None
    pool_ref = _hcl(items.pool or "")
    pool_name = f"projects/{p}/locations/global/workloadIdentityPools/{items.pool}"
    if items.pool_action:
        res = _tf_name(items.pool)
        if items.pool_action == "undelete":
            out += [f"# Pool {items.pool} is soft-deleted and Terraform cannot undelete it; first run:",
                    f"#   gcloud iam workload-identity-pools undelete {items.pool} --project={p} --location=global"]
        if items.pool_action != "create":
            out += ["import {", f"  to = google_iam_workload_identity_pool.{res}", f"  id = {_hcl(pool_name)}", "}"]
        out += [f'resource "google_iam_workload_identity_pool" "{res}" {{', f"  project                   = {_hcl(p)}",
                f"  workload_identity_pool_id = {_hcl(items.pool)}",
                f"  display_name              = {_hcl(items.pool[:32])}"]
        out += [depends] if depends else []
        out += ["}", ""]
        pool_ref = f"google_iam_workload_identity_pool.{res}.workload_identity_pool_id"
    for want, _, entry in items.providers:
        if want.kind == "oidc" and not want.body["oidc"]["issuerUri"]:  # the issuer comes from EKS at plan time
            out += [f'data "aws_eks_cluster" "{_tf_name(entry.cluster, entry.region)}" {{',
                    f"  provider = aws.{_tf_name(entry.region)}", f"  name     = {_hcl(entry.cluster)}", "}", ""]
    for want, action, entry in items.providers:
        res = _tf_name(want.provider_id)
        name = f"{pool_name}/providers/{want.provider_id}"
        if action == "undelete":
            out += [f"# Provider {want.provider_id} is soft-deleted; first run:",
                    f"#   gcloud iam workload-identity-pools providers undelete {want.provider_id} --project={p} "
                    f"--location=global --workload-identity-pool={items.pool}"]
        if action != "create":
            out += ["import {", f"  to = google_iam_workload_identity_pool_provider.{res}", f"  id = {_hcl(name)}", "}"]
        body = want.body
        out += [f'resource "google_iam_workload_identity_pool_provider" "{res}" {{',
                f"  project                            = {_hcl(p)}",
                f"  workload_identity_pool_id          = {pool_ref}",
                f"  workload_identity_pool_provider_id = {_hcl(want.provider_id)}",
                f"  display_name                       = {_hcl(body['displayName'])}"]
        if body.get("attributeCondition"):
            out.append(f"  attribute_condition                = {_hcl(body['attributeCondition'])}")
        if want.kind == "aws":
            out += ["  aws {", f"    account_id = {_hcl(body['aws']['accountId'])}", "  }"]
        else:
            issuer = body["oidc"]["issuerUri"]
            if issuer:
                issuer_expr = _hcl(issuer)
            else:
                issuer_expr = f"data.aws_eks_cluster.{_tf_name(entry.cluster, entry.region)}.identity[0].oidc[0].issuer"
            out.append(f"  attribute_mapping = {_hcl(body['attributeMapping'])}")
            out += ["  oidc {", f"    issuer_uri        = {issuer_expr}",
                    f"    allowed_audiences = {_hcl(body['oidc']['allowedAudiences'])}", "  }"]
        out += ["}", ""]
    sa_ref: dict[str, str] = {}
    for email, display in items.service_accounts:
        res = _tf_name(email.partition("@")[0])
        sa_ref[email] = f"google_service_account.{res}"
        out += [f'resource "google_service_account" "{res}" {{', f"  project      = {_hcl(p)}",
                f"  account_id   = {_hcl(email.partition('@')[0])}", f"  display_name = {_hcl(display)}"]
        out += [depends] if depends else []
        out += ["}", ""]
    for i, (role, member) in enumerate(items.project_grants):
        res = _tf_name("grant", role.split("/")[-1], str(i))
        out += [f'resource "google_project_iam_member" "{res}" {{', f"  project = {_hcl(p)}",
                f"  role    = {_hcl(role)}", f"  member  = {_hcl(member)}"]
        email = member.removeprefix("serviceAccount:")
        if email in sa_ref:
            out.append(f"  depends_on = [{sa_ref[email]}]")
        out += ["}", ""]
    by_service: dict[str, list[str]] = {}
    for service, log_type in items.audit_logs:
        by_service.setdefault(service, []).append(log_type)
    for service, log_types in by_service.items():
        out += [f'resource "google_project_iam_audit_config" "{_tf_name(service.split(".")[0], "audit")}" {{',
                f"  project = {_hcl(p)}", f"  service = {_hcl(service)}"]
        for log_type in log_types:
            out += ["  audit_log_config {", f"    log_type = {_hcl(log_type)}", "  }"]
        out += ["}", ""]
    for i, (email, member) in enumerate(items.sa_members):
        res = _tf_name("wi_user", email.partition("@")[0], str(i))
        sa_id = f"{sa_ref[email]}.name" if email in sa_ref else _hcl(f"projects/{p}/serviceAccounts/{email}")
        out += [f'resource "google_service_account_iam_member" "{res}" {{', f"  service_account_id = {sa_id}",
                f"  role               = {_hcl(WORKLOAD_IDENTITY_USER)}", f"  member             = {_hcl(member)}",
                "}", ""]
    for entry, text in items.cred_configs:
        res = _tf_name("credential_config", entry.provider)
        provider_ref = (f"google_iam_workload_identity_pool_provider.{_tf_name(entry.provider)}"
                        if any(w.provider_id == entry.provider for w, _, _ in items.providers) else None)
        out += [f"# Credential configuration for {entry.provider} (no secret inside)",
                f'resource "local_file" "{res}" {{', f"  filename        = {_hcl(entry.credential_config)}",
                '  file_permission = "0644"', "  content         = <<-EOT"]
        out += ["    " + line.replace("${", "$${").replace("%{", "%%{") for line in (text or "").splitlines()]
        out += ["    EOT"]
        if provider_ref:
            out.append(f"  depends_on = [{provider_ref}]")
        out += ["}", ""]
    return "\n".join(out).rstrip() + "\n"
