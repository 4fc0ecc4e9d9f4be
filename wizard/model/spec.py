"""The desired state: `xwiz.toml`, read with tomllib into frozen dataclasses, written back by hand.

Schema (field names follow gcloud / AWS CLI flags; the flag each maps to is in `FLAGS`):

    version = 1                                  # optional; only 1 exists

    [gcp]
    project = "my-project"                       # --project: the project ID (required)
    project_number = "123456789012"              # --project-number: optional, resolved with CRM when absent
    pool = "aws-federation"                      # --workload-identity-pool: required with aws_to_gcp / eks_to_gcp
    location = "global"                          # --location: the only location there is
    pool_display_name = "AWS federation"         # --display-name: optional, at most 32 characters

    [[aws_to_gcp]]                               # one provider per AWS account
    account_id = "111122223333"                  # --account-id: quoted, 12 digits
    provider = "aws-111122223333"                # --provider
    roles = ["app-role", "arn:aws:iam::111122223333:role/team/worker"]
                                                 # --role-arn: role names or ARNs (IAM role, with path,
                                                 #   assumed-role); normalised to arn:aws:sts::A:assumed-role/R
    partition = "aws"                            # optional: aws | aws-cn | aws-us-gov, for bare role names
    service_account = "app@my-project.iam.gserviceaccount.com"   # --service-account: optional
    create_service_account = false               # --create-service-account
    grant_roles = ["roles/storage.objectViewer"] # --grant-role: project roles for the service account
    credential_config = "gcp-credentials.json"   # --output-file: default credentials-<provider>.json
    imdsv2 = true                                # --enable-imdsv2 (default on, M13)
    token_lifetime = 3600                        # --service-account-token-lifetime-seconds: 600-43200
    attribute_condition = "..."                  # --attribute-condition: overrides the one built from roles
    audit_logs = false                           # --audit-logs: IAM + STS data-access logs for debugging

    [[eks_to_gcp]]                               # one OIDC provider per cluster
    cluster = "prod"                             # --cluster   } or issuer; the issuer comes from
    region = "us-east-1"                         # --region    }   eks:DescribeCluster
    issuer = "https://oidc.eks.us-east-1.amazonaws.com/id/…"     # --issuer-uri
    provider = "eks-prod"                        # --provider
    allowed_audiences = ["sts.amazonaws.com"]    # --allowed-audiences (default, M25)
    kubernetes_service_accounts = ["apps/billing"]               # --kubernetes-service-account: NS/NAME
    service_account = "..."                      # --service-account: optional
    create_service_account = false, grant_roles = [...], token_lifetime = 3600, attribute_condition = "..."
    token_path = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"   # --credential-source-file
    credential_config = "..."                    # --output-file: default credentials-<provider>.json

    [[gcp_to_aws]]
    service_account = "app@my-project.iam.gserviceaccount.com"   # --service-account
    account_id = "111122223333"                  # --account-id
    role_name = "gcp-app"                        # --role-name
    policies = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]        # --policy-arn
    audience = "gcp-app"                         # --audience: the ID token audience (trust policy :oaud)
    profile = "gcp-app"                          # --profile: optional AWS CLI profile to write
    session_duration = 3600                      # --duration-seconds: optional, 900-43200

Every problem is an `InputError` naming file, line, field path and expected form; unknown keys are
errors too, with the closest known key suggested.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from wizard.model import identifiers as ids
from wizard.model.errors import InputError, show
from wizard.model.identifiers import AssumedRole, KubernetesServiceAccount

SPEC_FILE = "xwiz.toml"
SPEC_VERSION = 1
DEFAULT_AUDIENCES = ("sts.amazonaws.com",)


def default_credential_config(provider: str) -> str:
    return f"credentials-{provider}.json"


@dataclass(frozen=True)
class GcpSpec:
    project: str
    pool: str | None = None
    project_number: str | None = None
    location: str = "global"
    pool_display_name: str | None = None


@dataclass(frozen=True)
class AwsToGcp:
    account_id: str
    provider: str
    roles: tuple[AssumedRole, ...]
    service_account: str | None = None
    create_service_account: bool = False
    grant_roles: tuple[str, ...] = ()
    credential_config: str = ""
    imdsv2: bool = True
    token_lifetime: int | None = None
    attribute_condition: str | None = None
    audit_logs: bool = False
    partition: str = "aws"

    def __post_init__(self) -> None:
        if not self.credential_config:
            object.__setattr__(self, "credential_config", default_credential_config(self.provider))


@dataclass(frozen=True)
class EksToGcp:
    provider: str
    kubernetes_service_accounts: tuple[KubernetesServiceAccount, ...]
    cluster: str | None = None
    region: str | None = None
    issuer: str | None = None
    allowed_audiences: tuple[str, ...] = DEFAULT_AUDIENCES
    service_account: str | None = None
    create_service_account: bool = False
    grant_roles: tuple[str, ...] = ()
    token_path: str = ids.DEFAULT_EKS_TOKEN_PATH
    credential_config: str = ""
    token_lifetime: int | None = None
    attribute_condition: str | None = None

    def __post_init__(self) -> None:
        if not self.credential_config:
            object.__setattr__(self, "credential_config", default_credential_config(self.provider))


@dataclass(frozen=True)
class GcpToAws:
    service_account: str
    account_id: str
    role_name: str
    audience: str
    policies: tuple[str, ...] = ()
    profile: str | None = None
    session_duration: int | None = None

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{self.role_name}"


@dataclass(frozen=True)
class FederationSpec:
    gcp: GcpSpec
    aws_to_gcp: tuple[AwsToGcp, ...] = ()
    eks_to_gcp: tuple[EksToGcp, ...] = ()
    gcp_to_aws: tuple[GcpToAws, ...] = ()
    version: int = SPEC_VERSION


# Spec field -> CLI flag (gcloud / AWS CLI spellings), for `spec_from_flags` messages and the CLI.
FLAGS = {
    "project": "--project", "project_number": "--project-number", "pool": "--workload-identity-pool",
    "location": "--location", "pool_display_name": "--display-name",
    "account_id": "--account-id", "provider": "--provider", "roles": "--role-arn", "partition": "--partition",
    "service_account": "--service-account", "create_service_account": "--create-service-account",
    "grant_roles": "--grant-role", "credential_config": "--output-file", "imdsv2": "--enable-imdsv2",
    "token_lifetime": "--service-account-token-lifetime-seconds", "attribute_condition": "--attribute-condition",
    "audit_logs": "--audit-logs", "cluster": "--cluster", "region": "--region", "issuer": "--issuer-uri",
    "allowed_audiences": "--allowed-audiences", "kubernetes_service_accounts": "--kubernetes-service-account",
    "token_path": "--credential-source-file", "role_name": "--role-name", "policies": "--policy-arn",
    "audience": "--audience", "profile": "--profile", "session_duration": "--duration-seconds",
}

SECTIONS = ("gcp", "aws_to_gcp", "eks_to_gcp", "gcp_to_aws")
_ARRAY_SECTIONS = ("aws_to_gcp", "eks_to_gcp", "gcp_to_aws")
_ENTRY_TYPES = {"aws_to_gcp": AwsToGcp, "eks_to_gcp": EksToGcp, "gcp_to_aws": GcpToAws}
_KEYS = {
    "gcp": [f.name for f in fields(GcpSpec)],
    **{section: [f.name for f in fields(cls)] for section, cls in _ENTRY_TYPES.items()},
}
_ROOT_KEYS = ["version", *SECTIONS]
_MISSING = object()


# ------------------------------------------------------------------------------------- locating
class _Lines:
    """Where each key sits in the TOML text: tomllib reports no positions for values, so scan for them."""

    _HEADER = re.compile(r"\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(#.*)?$")
    _KEY = re.compile(r"""\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")

    def __init__(self, text: str) -> None:
        self.keys: dict[tuple[str | None, int | None, str], int] = {}
        self.headers: dict[tuple[str, int | None], int] = {}
        counts: dict[str, int] = {}
        section: str | None = None
        index: int | None = None
        in_multiline = None
        open_brackets = 0
        for number, line in enumerate(text.splitlines(), start=1):
            if in_multiline:
                if line.count(in_multiline) % 2 == 1:
                    in_multiline = None
                continue
            if open_brackets > 0:  # inside a multi-line array or inline table: no headers or keys here
                open_brackets += self._bracket_delta(line)
                continue
            header = self._HEADER.match(line)
            if header and not self._KEY.match(line):
                name = self._unquote(header.group(2))
                if header.group(1) == "[[":
                    index = counts.get(name, 0)
                    counts[name] = index + 1
                else:
                    index = None
                section = name
                self.headers.setdefault((name, index), number)
                head, dot, rest = name.partition(".")
                if dot:  # [gcp.extra] / [[aws_to_gcp.extra]]: an unknown key of the parent table
                    parent_index = counts.get(head, 1) - 1 if head in _ARRAY_SECTIONS else None
                    self.keys.setdefault((head, parent_index, rest.split(".")[0]), number)
                continue
            key = self._KEY.match(line)
            if key:
                parts = [self._unquote(p) for p in re.split(r"\s*\.\s*(?=(?:[^\"']|\"[^\"]*\"|'[^']*')*$)", key.group(1))]
                if section is None and len(parts) > 1:
                    self.keys.setdefault((parts[0], None, parts[1]), number)
                    self.keys.setdefault((None, None, parts[0]), number)
                else:
                    self.keys.setdefault((section, index, parts[0]), number)
                rest = line[key.end():]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        in_multiline = quote
                        break
                else:
                    open_brackets = max(0, self._bracket_delta(rest))

    _STRINGS = re.compile(r"\"(?:\\.|[^\"\\])*\"|'[^']*'|#.*$")

    @classmethod
    def _bracket_delta(cls, text: str) -> int:
        bare = cls._STRINGS.sub("", text)
        return bare.count("[") + bare.count("{") - bare.count("]") - bare.count("}")

    @staticmethod
    def _unquote(name: str) -> str:
        name = name.strip()
        return ".".join(p.strip().strip("\"'") for p in name.split("."))

    def line(self, section: str | None, index: int | None, key: str | None) -> int | None:
        if key is not None and (section, index, key) in self.keys:
            return self.keys[(section, index, key)]
        if section is not None:
            return self.headers.get((section, index)) or self.keys.get((None, None, section))
        return None


class _Context:
    """Names fields and places errors: `xwiz.toml:7: aws_to_gcp[0].roles[1]` or `--role-arn`."""

    def __init__(self, file: str | None, lines: _Lines | None, flags: bool = False) -> None:
        self.file = file
        self.lines = lines
        self.flags = flags

    def name(self, section: str | None, index: int | None, key: str | None, item: int | None = None) -> str:
        if self.flags:
            return FLAGS.get(key or "", f"--{(key or section or '').replace('_', '-')}")
        path = section or ""
        if index is not None:
            path += f"[{index}]"
        if key is not None:
            path = f"{path}.{key}" if path else key
        if item is not None:
            path += f"[{item}]"
        return path

    def error(self, err: InputError, section: str | None, index: int | None, key: str | None,
              item: int | None = None) -> InputError:
        line = self.lines.line(section, index, key) if self.lines else None
        return err.located(field=self.name(section, index, key, item), file=self.file, line=line)

    def fail(self, section: str | None, index: int | None, key: str | None, message: str,
             expected: str | None = None) -> InputError:
        return self.error(InputError(None, message, expected), section, index, key)


class _Table:
    """One TOML table being read: typed getters that place their errors, and an unknown-key check."""

    def __init__(self, ctx: _Context, section: str, index: int | None, data: Mapping[str, Any]) -> None:
        self.ctx, self.section, self.index, self.data = ctx, section, index, data
        known = _KEYS[section]
        for key in data:
            if key not in known:
                raise ctx.fail(section, index, str(key), *_unknown_key(key, known))

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def fail(self, key: str | None, message: str, expected: str | None = None) -> InputError:
        return self.ctx.fail(self.section, self.index, key, message, expected)

    def value(self, key: str, validator: Callable[..., Any], default: Any = _MISSING) -> Any:
        raw = self.data.get(key)
        if raw is None:
            if default is _MISSING:
                raise self.fail(key, "is missing", _describe(validator))
            return default
        try:
            return validator(raw, key)
        except InputError as e:
            raise self.ctx.error(e, self.section, self.index, key) from None

    def flag(self, key: str, default: bool) -> bool:
        raw = self.data.get(key)
        if raw is None:
            return default
        if not isinstance(raw, bool):
            raise self.fail(key, f"{show(raw)} is not true or false", "true or false (unquoted)")
        return raw

    def items(self, key: str, validator: Callable[..., Any], default: tuple = _MISSING,
              *, non_empty: bool = False, max_items: int | None = None) -> tuple:
        raw = self.data.get(key)
        if raw is None:
            if default is _MISSING:
                raise self.fail(key, "is missing", f"a list of {_describe(validator)}")
            return default
        if isinstance(raw, str) and not self.ctx.flags:
            raise self.fail(key, f"{show(raw)} is a string, not a list", f'a list: {key} = [{show(raw)}]')
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, (list, tuple)):
            raise self.fail(key, f"{show(raw)} is not a list", f"a list of {_describe(validator)}")
        if non_empty and not raw:
            raise self.fail(key, "is empty", f"at least one {_describe(validator)}")
        if max_items is not None and len(raw) > max_items:
            raise self.fail(key, f"has {len(raw)} entries", f"at most {max_items}")
        out = []
        for i, item in enumerate(raw):
            try:
                value = validator(item, key)
            except InputError as e:
                raise self.ctx.error(e, self.section, self.index, key, item=None if self.ctx.flags else i) from None
            if value in out:
                raise self.fail(key, f"lists {show(str(value))} twice", "each entry once")
            out.append(value)
        return tuple(out)


def _unknown_key(key: object, known: list[str]) -> tuple[str, str | None]:
    """(message, expected) for an unknown key, suggesting the closest known one (difflib)."""
    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
    if close:
        return f"unknown key {show(key)}; did you mean {close[0]}?", None
    return f"unknown key {show(key)}", "one of " + ", ".join(known)


def _describe(validator: Callable[..., Any]) -> str:
    try:
        validator(None, "")
    except InputError as e:
        return e.expected or "a value"
    except Exception:  # noqa: BLE001 — only used to word a message
        pass
    return "a value"


def _optional_text(raw: object, field: str) -> str:
    return ids._text(raw, field, "a string")


# ----------------------------------------------------------------------------------- builders
def _build(data: Mapping[str, Any], ctx: _Context) -> FederationSpec:
    for key in data:
        if key not in _ROOT_KEYS:
            raise ctx.fail(None, None, str(key), *_unknown_key(key, _ROOT_KEYS))
    version = data.get("version", SPEC_VERSION)
    if isinstance(version, bool) or version != SPEC_VERSION:
        raise ctx.fail(None, None, "version", f"{show(version)} is not a spec version this xwiz reads", "1")

    gcp_data = data.get("gcp")
    if gcp_data is None:
        raise ctx.fail("gcp", None, None, "the [gcp] table is missing", '[gcp] with project = "my-project"')
    if not isinstance(gcp_data, Mapping):
        raise ctx.fail(None, None, "gcp", f"{show(gcp_data)} is not a table", "a [gcp] table")
    gcp = _gcp(_Table(ctx, "gcp", None, gcp_data))

    entries: dict[str, list] = {}
    for section in _ARRAY_SECTIONS:
        raw = data.get(section, [])
        if isinstance(raw, Mapping):
            raise ctx.fail(section, None, None, f"[{section}] is a single table", f"[[{section}]] (an array of tables)")
        if not isinstance(raw, list) or not all(isinstance(x, Mapping) for x in raw):
            raise ctx.fail(None, None, section, "is not an array of tables", f"[[{section}]] entries")
        builder = {"aws_to_gcp": _aws_to_gcp, "eks_to_gcp": _eks_to_gcp, "gcp_to_aws": _gcp_to_aws}[section]
        entries[section] = [builder(_Table(ctx, section, i, item)) for i, item in enumerate(raw)]

    spec = FederationSpec(gcp, tuple(entries["aws_to_gcp"]), tuple(entries["eks_to_gcp"]),
                          tuple(entries["gcp_to_aws"]), SPEC_VERSION)
    _cross_checks(spec, ctx)
    return spec


def _gcp(t: _Table) -> GcpSpec:
    return GcpSpec(
        project=t.value("project", ids.project_id),
        pool=t.value("pool", ids.pool_id, None),
        project_number=t.value("project_number", ids.project_number, None),
        location=t.value("location", ids.location, "global"),
        pool_display_name=t.value("pool_display_name", ids.display_name, None),
    )


def _condition(raw: object, field: str) -> str:
    from wizard.model.cel import validate_condition  # cel is imported only when a condition is present

    return validate_condition(raw, field)


def _federation_common(t: _Table) -> dict[str, Any]:
    service_account = t.value("service_account", ids.service_account_email, None)
    common = dict(
        service_account=service_account,
        create_service_account=t.flag("create_service_account", False),
        grant_roles=t.items("grant_roles", ids.gcp_role, ()),
        token_lifetime=t.value("token_lifetime", ids.token_lifetime, None),
        attribute_condition=t.value("attribute_condition", _condition, None),
    )
    if service_account is None:
        for key in ("grant_roles", "token_lifetime"):
            if common[key]:
                raise t.fail(key, "needs a service_account", "a service_account in the same entry")
        if common["create_service_account"]:
            raise t.fail("create_service_account", "needs a service_account to create",
                         "a service_account in the same entry")
    return common


def _aws_to_gcp(t: _Table) -> AwsToGcp:
    account = t.value("account_id", ids.aws_account_id)
    partition = t.value("partition", ids.aws_partition, "aws")
    roles = t.items("roles", lambda v, f: ids.assumed_role_arn(v, account_id=account, partition=partition, field=f),
                    non_empty=True)
    return AwsToGcp(
        account_id=account,
        provider=t.value("provider", ids.provider_id),
        roles=roles,
        credential_config=t.value("credential_config", ids.file_path, ""),
        imdsv2=t.flag("imdsv2", True),
        audit_logs=t.flag("audit_logs", False),
        partition=partition,
        **_federation_common(t),
    )


def _eks_to_gcp(t: _Table) -> EksToGcp:
    cluster = t.value("cluster", ids.eks_cluster_name, None)
    region = t.value("region", ids.aws_region, None)
    issuer = t.value("issuer", ids.oidc_issuer, None)
    if issuer is None and (cluster is None or region is None):
        raise t.fail("cluster" if cluster is None else "region", "is missing",
                     "cluster and region (xwiz reads the issuer with eks:DescribeCluster), or issuer")
    return EksToGcp(
        provider=t.value("provider", ids.provider_id),
        kubernetes_service_accounts=t.items("kubernetes_service_accounts", ids.kubernetes_service_account,
                                            non_empty=True),
        cluster=cluster, region=region, issuer=issuer,
        # disc:iam.v1 allowedAudiences: "A maximum of 10 audiences may be configured."
        allowed_audiences=t.items("allowed_audiences", ids.oidc_audience, DEFAULT_AUDIENCES, non_empty=True,
                                  max_items=10),
        token_path=t.value("token_path", ids.file_path, ids.DEFAULT_EKS_TOKEN_PATH),
        credential_config=t.value("credential_config", ids.file_path, ""),
        **_federation_common(t),
    )


def _gcp_to_aws(t: _Table) -> GcpToAws:
    return GcpToAws(
        service_account=t.value("service_account", ids.service_account_email),
        account_id=t.value("account_id", ids.aws_account_id),
        role_name=t.value("role_name", ids.aws_role_name),
        audience=t.value("audience", ids.id_token_audience),
        policies=t.items("policies", ids.iam_policy_arn, ()),
        profile=t.value("profile", ids.aws_profile_name, None),
        session_duration=t.value("session_duration", ids.aws_session_duration, None),
    )


def _cross_checks(spec: FederationSpec, ctx: _Context) -> None:
    federated = [("aws_to_gcp", i, e) for i, e in enumerate(spec.aws_to_gcp)] + \
                [("eks_to_gcp", i, e) for i, e in enumerate(spec.eks_to_gcp)]
    if federated and spec.gcp.pool is None:
        raise ctx.fail("gcp", None, "pool", "is missing", "the workload identity pool the providers go in")
    providers: dict[str, str] = {}
    outputs: dict[str, str] = {}
    for section, i, entry in federated:
        where = ctx.name(section, i, None)
        if entry.provider in providers:
            raise ctx.fail(section, i, "provider", f"{show(entry.provider)} is also used by {providers[entry.provider]}",
                           "a provider ID unique within the pool")
        providers[entry.provider] = where
        if entry.credential_config in outputs:
            raise ctx.fail(section, i, "credential_config",
                           f"{show(entry.credential_config)} is also written by {outputs[entry.credential_config]}",
                           "a different file per provider")
        outputs[entry.credential_config] = where
    profiles: dict[str, str] = {}
    for i, entry in enumerate(spec.gcp_to_aws):
        if entry.profile is not None:
            if entry.profile in profiles:
                raise ctx.fail("gcp_to_aws", i, "profile", f"{show(entry.profile)} is also used by {profiles[entry.profile]}",
                               "a different AWS profile per role")
            profiles[entry.profile] = ctx.name("gcp_to_aws", i, None)


# --------------------------------------------------------------------------------------- loading
_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def loads_spec(text: str, file: str = SPEC_FILE) -> FederationSpec:
    """Parse a spec from TOML text. `file` is only used in messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        m = _TOML_POSITION.search(message)
        line = column = None
        if m:
            line, column = int(m.group(1)), int(m.group(2))
            message = message[: m.start()]
        raise InputError(None, f"TOML syntax error: {message}", "valid TOML (https://toml.io)",
                         file=file, line=line, column=column) from None
    return _build(data, _Context(file, _Lines(text)))


def load_spec(path: str | Path) -> FederationSpec:
    """Read and validate an `xwiz.toml`. The only I/O in wizard.model."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(None, "no such file", "a spec file; create one with xwiz init", file=str(path)) from None
    except IsADirectoryError:
        raise InputError(None, "is a directory", "a spec file", file=str(path)) from None
    except OSError as e:
        raise InputError(None, f"cannot be read ({e.strerror or type(e).__name__})", "a readable spec file",
                         file=str(path)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise InputError(None, "is not UTF-8 text", "a UTF-8 TOML file", file=str(path), line=line) from None
    return loads_spec(text, str(path))


# ------------------------------------------------------------------------------------------ flags
_GCP_FIELDS = set(_KEYS["gcp"])
_DIRECTIONS = {"aws-to-gcp": "aws_to_gcp", "eks-to-gcp": "eks_to_gcp", "gcp-to-aws": "gcp_to_aws"}


def spec_from_flags(direction: str, **values: Any) -> FederationSpec:
    """A one-entry spec from `xwiz init` flags (click's parameter names: `account_id`, `roles`, …).

    `[gcp]` fields and the direction's entry fields are validated by the same code as the file; errors
    name the flag (`--account-id: "12345" is not an AWS account ID; expected 12 digits, …`). None
    values and empty lists are treated as not given; a flag of another direction is an InputError.
    """
    if direction not in _DIRECTIONS:
        raise InputError("--direction", f"{show(direction)} is not a direction", ", ".join(_DIRECTIONS))
    section = _DIRECTIONS[direction]
    entry_fields = set(_KEYS[section])
    gcp: dict[str, Any] = {}
    entry: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or (isinstance(value, (list, tuple)) and not value):
            continue
        if key in _GCP_FIELDS:
            gcp[key] = value
        elif key in entry_fields:
            entry[key] = list(value) if isinstance(value, tuple) else value
        else:
            flag = FLAGS.get(key, "--" + str(key).replace("_", "-"))
            raise InputError(flag, f"does not apply to --direction {direction}",
                             "only the flags of that direction (see xwiz init --help)")
    return _build({"gcp": gcp, section: [entry]}, _Context(None, None, flags=True))


# ------------------------------------------------------------------------------------------- dump
def toml_string(value: str) -> str:
    """A TOML basic string: escapes quotes, backslashes and every control character TOML forbids."""
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _role_text(entry: AwsToGcp, role: AssumedRole) -> str:
    # A bare name reloads as the same AssumedRole (same account, same partition) and reads best.
    if role.account == entry.account_id and role.partition == entry.partition:
        return role.role_name
    return role.arn


def _entry_lines(entry: Any) -> list[str]:
    defaults = {f.name: f.default for f in fields(entry)}
    lines = []
    for f in fields(entry):
        value = getattr(entry, f.name)
        if value is None:
            continue
        if f.name == "credential_config":
            pass  # always written: it says where the file goes
        elif f.name in defaults and value == defaults[f.name] and f.name not in ("roles",):
            continue
        if f.name == "roles":
            value = [_role_text(entry, r) for r in value]
        elif f.name == "kubernetes_service_accounts":
            value = [str(k) for k in value]
        lines.append(f"{f.name} = {_toml_value(value)}")
    return lines


def dump_spec(spec: FederationSpec) -> str:
    """The spec as TOML text that `loads_spec` reads back to an equal spec."""
    out = ["# xwiz federation spec: `xwiz plan` shows what `xwiz apply` would change.",
           f"version = {spec.version}", "", "[gcp]"]
    out += _entry_lines(spec.gcp)
    for section in _ARRAY_SECTIONS:
        for entry in getattr(spec, section):
            out += ["", f"[[{section}]]", *_entry_lines(entry)]
    return "\n".join(out) + "\n"
