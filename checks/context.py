"""What the checks see: the doctor's inputs (one target per direction), the injected `Services`,
the environment, and the values earlier checks provided.

Inputs come from `xwiz.toml` (`inputs_from_spec`), from a credential configuration on a workload
host (`inputs_from_cred_config`: project number, pool, provider and service account are in the
file), or from flags (`--role-arn --service-account --audience` for Google Cloud → AWS).
Secrets a check handles (AWS keys, tokens) are registered with `ctx.secret()` so the runner can
scrub them from anything shown, should a check ever put one there by mistake.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from wizard.model import credconfig
from wizard.model import identifiers as ids
from wizard.model.errors import InputError

from .spec import CheckResult

_IMPERSONATION = re.compile(r"/v1/projects/-/serviceAccounts/([^/:]+):generateAccessToken$")


@dataclass(frozen=True)
class CredConfigFile:
    path: str
    data: Any = None
    """The parsed JSON, or None when it could not be read."""
    error: str | None = None


@dataclass(frozen=True)
class GoogleTarget:
    """The Google side shared by AWS → Google Cloud and EKS → Google Cloud."""

    project: str | None = None
    """The project as the user names it (ID, or the number when only the number is known)."""
    project_number: str | None = None
    pool: str | None = None
    provider: str | None = None
    service_account: str | None = None
    cred_config: CredConfigFile | None = None
    expected_config: Mapping[str, Any] | None = None
    """The configuration gcloud/xwiz would write for this target (for the lint's diff)."""
    source: str = "xwiz.toml"


@dataclass(frozen=True)
class AwsToGcpTarget(GoogleTarget):
    account_id: str | None = None
    roles: tuple[str, ...] = ()
    """Assumed-role ARNs allowed by the spec."""
    imdsv2: bool = True


@dataclass(frozen=True)
class EksToGcpTarget(GoogleTarget):
    cluster: str | None = None
    region: str | None = None
    issuer: str | None = None
    allowed_audiences: tuple[str, ...] = ()
    kubernetes_service_accounts: tuple[str, ...] = ()
    """`system:serviceaccount:NS:NAME` subjects."""
    token_path: str | None = None


@dataclass(frozen=True)
class GcpToAwsTarget:
    service_account: str
    role_arn: str
    audience: str
    project: str | None = None

    @property
    def role_name(self) -> str:
        return self.role_arn.rsplit("/", 1)[-1]

    @property
    def account_id(self) -> str:
        return self.role_arn.split(":")[4]


@dataclass(frozen=True)
class DoctorInputs:
    aws_to_gcp: AwsToGcpTarget | None = None
    eks_to_gcp: EksToGcpTarget | None = None
    gcp_to_aws: GcpToAwsTarget | None = None
    what_if_arn: str | None = None
    wait_s: float = 0.0
    call_api: str | None = None
    """An API URL to GET with the service account's token (optional last step)."""

    @property
    def directions(self) -> tuple[str, ...]:
        return tuple(d for d in ("aws_to_gcp", "eks_to_gcp", "gcp_to_aws") if getattr(self, d) is not None)

    def only(self, direction: str | None) -> "DoctorInputs":
        if direction is None:
            return self
        key = direction.replace("-", "_")
        return replace(self, **{d: None for d in ("aws_to_gcp", "eks_to_gcp", "gcp_to_aws") if d != key})


# --------------------------------------------------------------------------------------- building
def read_cred_config(path: str | os.PathLike) -> CredConfigFile:
    p = Path(path)
    try:
        return CredConfigFile(str(p), json.loads(p.read_text()))
    except FileNotFoundError:
        return CredConfigFile(str(p), None, f"{p} does not exist")
    except (OSError, ValueError) as e:
        return CredConfigFile(str(p), None, f"{p} is not readable JSON ({type(e).__name__})")


def _from_config_fields(data: Any) -> dict[str, Any]:
    """project number, pool, provider and service account as the file names them (best effort)."""
    out: dict[str, Any] = {}
    if not isinstance(data, Mapping):
        return out
    audience = data.get("audience")
    parts = str(audience or "").split("/")
    if "workloadIdentityPools" in parts:
        i = parts.index("workloadIdentityPools")
        if i >= 4 and parts[i - 4] == "projects":
            out["project_number"] = parts[i - 3]
        if i + 1 < len(parts):
            out["pool"] = parts[i + 1]
        if i + 3 < len(parts) and parts[i + 2] == "providers":
            out["provider"] = parts[i + 3]
    url = data.get("service_account_impersonation_url")
    m = _IMPERSONATION.search(str(url or ""))
    if m:
        out["service_account"] = m.group(1)
    return out


def inputs_from_cred_config(path: str | os.PathLike, **options: Any) -> DoctorInputs:
    """`xwiz doctor --cred-config FILE`: everything about the target comes from the file."""
    cfg = read_cred_config(path)
    fields = _from_config_fields(cfg.data)
    number = fields.get("project_number")
    common = dict(project=number, project_number=number if number and number.isdigit() else None,
                  pool=fields.get("pool"), provider=fields.get("provider"),
                  service_account=fields.get("service_account"), cred_config=cfg, source="--cred-config")
    data = cfg.data if isinstance(cfg.data, Mapping) else {}
    if data.get("subject_token_type") == credconfig.AWS_SUBJECT_TOKEN_TYPE or (
            isinstance(data.get("credential_source"), Mapping) and "environment_id" in data["credential_source"]):
        return DoctorInputs(aws_to_gcp=AwsToGcpTarget(**common), **options)
    if cfg.data is None:
        return DoctorInputs(aws_to_gcp=AwsToGcpTarget(**common), **options)
    source = data.get("credential_source") if isinstance(data.get("credential_source"), Mapping) else {}
    return DoctorInputs(eks_to_gcp=EksToGcpTarget(**common, token_path=source.get("file")), **options)


def inputs_from_spec(spec: Any, base_dir: str | os.PathLike = ".", *, services: Any = None,
                     provider: str | None = None, role_arn: str | None = None,
                     cred_config: str | None = None, **options: Any) -> DoctorInputs:
    """One target per direction from xwiz.toml: the entry whose provider (or role) is named, else the first."""
    base = Path(base_dir)
    number = spec.gcp.project_number
    endpoints = config_endpoints(services)

    def pick(entries, key, wanted):
        if not entries:
            return None
        if wanted is None:
            return entries[0]
        for e in entries:
            if key(e) == wanted:
                return e
        return None

    aws = eks = g2a = None
    a = pick(spec.aws_to_gcp, lambda e: e.provider, provider)
    if a is not None:
        path = Path(cred_config) if cred_config else _resolve(base, a.credential_config)
        cfg = read_cred_config(path)
        file_number = _from_config_fields(cfg.data).get("project_number")
        n = number or (file_number if file_number and file_number.isdigit() else None)
        expected = None
        if n and spec.gcp.pool:
            try:
                expected = credconfig.aws_credential_config(n, spec.gcp.pool, a.provider, a.service_account,
                                                            imdsv2=a.imdsv2, token_lifetime_s=a.token_lifetime,
                                                            endpoints=endpoints)
            except InputError:
                expected = None
        aws = AwsToGcpTarget(project=spec.gcp.project, project_number=n, pool=spec.gcp.pool, provider=a.provider,
                             service_account=a.service_account, cred_config=cfg, expected_config=expected,
                             account_id=a.account_id, roles=tuple(r.arn for r in a.roles), imdsv2=a.imdsv2)
    e = pick(spec.eks_to_gcp, lambda e: e.provider, provider)
    if e is not None:
        path = Path(cred_config) if cred_config and aws is None else _resolve(base, e.credential_config)
        cfg = read_cred_config(path)
        file_number = _from_config_fields(cfg.data).get("project_number")
        n = number or (file_number if file_number and file_number.isdigit() else None)
        eks = EksToGcpTarget(project=spec.gcp.project, project_number=n, pool=spec.gcp.pool, provider=e.provider,
                             service_account=e.service_account, cred_config=cfg, cluster=e.cluster,
                             region=e.region, issuer=e.issuer, allowed_audiences=tuple(e.allowed_audiences),
                             kubernetes_service_accounts=tuple(k.subject for k in e.kubernetes_service_accounts),
                             token_path=e.token_path)
    g = pick(spec.gcp_to_aws, lambda e: e.role_arn, role_arn)
    if g is not None:
        g2a = GcpToAwsTarget(g.service_account, g.role_arn, g.audience, spec.gcp.project)
    return DoctorInputs(aws_to_gcp=aws, eks_to_gcp=eks, gcp_to_aws=g2a, **options)


def gcp_to_aws_from_flags(role_arn: str, service_account: str, audience: str | None) -> GcpToAwsTarget:
    role = ids.assumed_role_arn(role_arn, field="--role-arn")
    sa = ids.service_account_email(service_account, "--service-account")
    aud = ids.id_token_audience(audience, "--audience") if audience else role.role_name
    return GcpToAwsTarget(sa, role.iam_role_arn if ":role/" not in role_arn else role_arn, aud,
                          sa.split("@", 1)[1].split(".", 1)[0])


def _resolve(base: Path, name: str) -> Path:
    p = Path(name)
    return p if p.is_absolute() else base / p


def config_endpoints(services: Any) -> credconfig.GoogleEndpoints:
    """The endpoints a configuration written here would carry (the sandbox's when on one)."""
    ep = getattr(services, "endpoints", None)
    if ep is not None and ep.is_sandbox:
        return credconfig.GoogleEndpoints.from_sandbox(ep.sandbox)
    if ep is not None and ep.google.universe_domain != credconfig.DEFAULT_UNIVERSE:
        return credconfig.GoogleEndpoints.for_universe(ep.google.universe_domain)
    return credconfig.DEFAULT_ENDPOINTS


# ----------------------------------------------------------------------------------------- context
class MissingValue(LookupError):
    """A check asked for a value no earlier check provided: one it requires did not apply (a skip that
    does not block). The runner reports the check as skipped for want of it."""


@dataclass
class Context:
    services: Any
    inputs: DoctorInputs
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    clock: Any = time.time
    home: Path = field(default_factory=Path.home)
    cancelled: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._results: dict[str, CheckResult] = {}
        self._done: dict[str, threading.Event] = {}
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    # values provided by checks -----------------------------------------------------------------------
    def put(self, values: Mapping[str, Any]) -> None:
        with self._lock:
            self._values.update(values)

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            return self._values.get(key, default)

    def need(self, key: str) -> Any:
        with self._lock:
            if key not in self._values:
                raise MissingValue(f"no check provided {key!r}")
            return self._values[key]

    # results ------------------------------------------------------------------------------------------
    def _event(self, check_id: str) -> threading.Event:
        with self._lock:
            return self._done.setdefault(check_id, threading.Event())

    def record(self, result: CheckResult) -> None:
        with self._lock:
            self._results[result.id] = result
        self._event(result.id).set()

    def result(self, check_id: str) -> CheckResult | None:
        with self._lock:
            return self._results.get(check_id)

    def wait_for(self, check_id: str, timeout_s: float = 30.0) -> CheckResult | None:
        """Another check's result, waiting for it if it is still running (None if it never ran)."""
        if self._event(check_id).wait(timeout_s):
            return self.result(check_id)
        return None

    # secrets ------------------------------------------------------------------------------------------
    def secret(self, *values: Any) -> None:
        with self._lock:
            self._secrets.update(v for v in values if isinstance(v, str) and len(v) >= 8)

    @property
    def secrets(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._secrets)

    # conveniences ---------------------------------------------------------------------------------------
    @property
    def what_if(self) -> bool:
        return self.inputs.what_if_arn is not None

    def template_values(self, direction: str | None) -> dict[str, Any]:
        """Defaults for remediation templates: what the inputs say about the target."""
        values: dict[str, Any] = {}
        target = getattr(self.inputs, direction, None) if direction else None
        if isinstance(target, GoogleTarget):
            number = target.project_number or self.get(f"{direction}:project_number")
            values.update(project=target.project or number, project_number=number,
                          pool=target.pool, provider=target.provider, service_account=target.service_account,
                          cred_config=target.cred_config.path if target.cred_config else None,
                          provider_kind="aws" if direction == "aws_to_gcp" else "oidc")
            if target.service_account:
                values["service_account_id"] = target.service_account.split("@", 1)[0]
        if isinstance(target, AwsToGcpTarget):
            values.update(account=target.account_id)
        if isinstance(target, EksToGcpTarget):
            values.update(cluster=target.cluster, region=target.region)
        if isinstance(target, GcpToAwsTarget):
            values.update(service_account=target.service_account, role_arn=target.role_arn,
                          role_name=target.role_name, project=target.project, audience=target.audience)
        return values
