"""The credential-configuration lint shared by AWS → Google Cloud and EKS → Google Cloud."""

from __future__ import annotations

from collections.abc import Mapping

from wizard.model import credconfig

from .context import Context, config_endpoints
from .spec import Outcome, failed, passed, skipped


def lint_outcome(ctx: Context, direction: str) -> Outcome:
    t = getattr(ctx.inputs, direction)
    cfg = t.cred_config
    if cfg is None:
        return skipped("no credential configuration given", blocks=False)
    if cfg.data is None:
        if t.source == "--cred-config":
            return failed("cred-config-invalid", cfg.error or f"{cfg.path} cannot be read", {"path": cfg.path})
        return skipped(f"{cfg.error} (xwiz apply writes it; on the workload run "
                       f"xwiz doctor --cred-config FILE)", {"path": cfg.path}, blocks=False)
    endpoints = config_endpoints(ctx.services)
    findings = credconfig.lint_credential_config(cfg.data, t.expected_config, endpoints)
    shown = [{"field": f.field, "code": f.code, "severity": f.severity, "summary": f.summary,
              **({"fix": f.fix} if f.fix and len(str(f.fix)) < 300 else {})} for f in findings]
    evidence = {"path": cfg.path, "findings": shown}
    if isinstance(cfg.data, Mapping):
        evidence.update(audience=cfg.data.get("audience"), token_url=cfg.data.get("token_url"),
                        service_account_impersonation_url=cfg.data.get("service_account_impersonation_url"))
    for f in findings:
        if f.severity == "fail":
            fix = {"audience": f.fix} if f.field == "audience" and f.fix else {}
            return failed(f.code, f"{cfg.path}: {f.summary}", evidence, fix=fix)
    for f in findings:
        if f.code == "cred-config-imdsv2-missing":
            return Outcome("warn", f"{cfg.path}: {f.summary}", f.code, evidence)
    if findings:
        return Outcome("warn", f"{cfg.path}: {findings[0].summary}", "cred-config-invalid", evidence)
    return passed(f"{cfg.path} is what gcloud would write for this provider", evidence)
