"""Onboarding many AWS accounts (pure): account lists, provider IDs, the journal's records.

Account lists come from flags, a CSV file (`account_id,roles[,provider]`, roles separated by `;` or
spaces inside the cell) or a TOML file (`[[account]]` tables with the same keys). Every problem is an
`InputError` naming the file, the line and the expected form, like the spec loader's.

Provider IDs come from a pattern (`aws-{account_id}` by default). An ID already used in the pool by
another account, or by a provider of another type, is never taken over: the next free suffix
(`-2`, `-3`, …) is used instead. The choice depends only on what the pool holds, so a rerun picks
the same IDs as the run it resumes.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tomllib
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Mapping

from wizard.model import identifiers as ids
from wizard.model.errors import InputError, show
from wizard.model.identifiers import AssumedRole

DEFAULT_PROVIDER_PATTERN = "aws-{account_id}"
DIRECTIONS = ("aws-to-gcp", "gcp-to-aws")
JOURNAL_VERSION = 1
MAX_SUFFIX = 99

# Google Cloud IAM "Quotas and limits" (https://cloud.google.com/iam/quotas, Limits table, read
# 2025): "Workforce identity pool providers per pool: 200" is the only per-pool provider limit the
# page documents; it names no separate number for *workload* identity pools. xwiz applies the same
# 200 to workload identity pools and counts soft-deleted providers too (they still hold their ID
# and can be undeleted). Recheck this number against the page when Google revises it.
MAX_PROVIDERS_PER_POOL = 200
# Same page, "Allow policies and role bindings": "Total number of principals ... in all role
# bindings ... within a single policy: 1,500" (each appearance counts, no deduplication).
MAX_PRINCIPALS_PER_POLICY = 1500


@dataclass(frozen=True)
class AccountRequest:
    """One account to onboard, with where it came from (`accounts.csv:4`, `--account-id`)."""

    account_id: str
    roles: tuple[str, ...] = ()
    """Role names or ARNs as given; normalised against the account with `assumed_roles()`."""
    provider: str | None = None
    """An explicit provider ID; None = from the pattern."""
    source: str = "--account-id"
    name: str | None = None
    """The account's name (from AWS Organizations), for the report only."""

    def assumed_roles(self, partition: str = "aws") -> tuple[AssumedRole, ...]:
        out: list[AssumedRole] = []
        for role in self.roles:
            value = ids.assumed_role_arn(role, account_id=self.account_id, partition=partition, field="roles")
            if value not in out:
                out.append(value)
        return tuple(out)


def _located(e: InputError, file: str | None, line: int | None, field: str | None = None) -> InputError:
    return e.located(field=field if field is not None else e.field, file=file, line=line)


def _split_roles(cell: str) -> tuple[str, ...]:
    return tuple(r for r in re.split(r"[;\s]+", cell.strip()) if r)


def _request(account: Any, roles: Iterable[Any], provider: Any, source: str, *, file: str | None,
             line: int | None, default_roles: tuple[str, ...] = ()) -> AccountRequest:
    try:
        account_id = ids.aws_account_id(account, "account_id")
    except InputError as e:
        raise _located(e, file, line) from None
    role_list = tuple(str(r) for r in roles) or default_roles
    if provider is not None and provider != "":
        try:
            provider = ids.provider_id(provider, "provider")
        except InputError as e:
            raise _located(e, file, line) from None
    else:
        provider = None
    request = AccountRequest(account_id, role_list, provider, source)
    try:
        request.assumed_roles()
    except InputError as e:
        raise _located(e, file, line) from None
    return request


def parse_accounts_csv(text: str, file: str = "accounts.csv",
                       default_roles: tuple[str, ...] = ()) -> list[AccountRequest]:
    """`account_id,roles[,provider]` with a header line; `#` lines and blank lines are skipped."""
    rows = list(csv.reader(io.StringIO(text)))
    numbered = [(n, row) for n, row in enumerate(rows, start=1)
                if row and any(c.strip() for c in row) and not row[0].lstrip().startswith("#")]
    if not numbered:
        raise InputError(None, "has no header line", "a first line account_id,roles[,provider]", file=file, line=1)
    header_line, header = numbered[0]
    columns = [c.strip().lower() for c in header]
    known = ("account_id", "roles", "provider")
    if columns[:1] != ["account_id"] or any(c not in known for c in columns) or len(set(columns)) != len(columns):
        raise InputError(None, f"header {show(','.join(header))} is not account_id,roles[,provider]",
                         "a first line account_id,roles[,provider]", file=file, line=header_line)
    out: list[AccountRequest] = []
    for number, row in numbered[1:]:
        if len(row) > len(columns):
            raise InputError(None, f"has {len(row)} columns but the header has {len(columns)}",
                             "roles separated by ; or spaces inside the roles cell (or quote the cell)",
                             file=file, line=number)
        values = dict(zip(columns, (c.strip() for c in row)))
        roles = _split_roles(values.get("roles", ""))
        request = _request(values.get("account_id", ""), roles, values.get("provider"), f"{file}:{number}",
                           file=file, line=number, default_roles=default_roles)
        out.append(request)
    return _no_duplicates(out, file)


_TOML_ACCOUNT_HEADER = re.compile(r"\s*\[\[\s*account\s*\]\]\s*(#.*)?$")


def parse_accounts_toml(text: str, file: str = "accounts.toml",
                        default_roles: tuple[str, ...] = ()) -> list[AccountRequest]:
    """`[[account]]` tables with `account_id`, `roles` (a list) and optionally `provider`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
        raise InputError(None, f"TOML syntax error: {str(e).split(' (at line')[0]}", "valid TOML",
                         file=file, line=int(m.group(1)) if m else None) from None
    header_lines = [n for n, line in enumerate(text.splitlines(), start=1) if _TOML_ACCOUNT_HEADER.match(line)]
    unknown = [k for k in data if k != "account"]
    if unknown:
        raise InputError(unknown[0], "is not a key of an accounts file", "[[account]] tables only", file=file)
    tables = data.get("account", [])
    if not isinstance(tables, list) or not tables:
        raise InputError(None, "has no [[account]] tables", '[[account]] with account_id = "111122223333"',
                         file=file)
    out: list[AccountRequest] = []
    for i, table in enumerate(tables):
        line = header_lines[i] if i < len(header_lines) else None
        extra = [k for k in table if k not in ("account_id", "roles", "provider")]
        if extra:
            raise InputError(f"account[{i}].{extra[0]}", "is not a known key", "account_id, roles, provider",
                             file=file, line=line)
        if "account_id" not in table:
            raise InputError(f"account[{i}].account_id", "is missing", "12 digits, quoted", file=file, line=line)
        roles = table.get("roles", [])
        if isinstance(roles, str):
            raise InputError(f"account[{i}].roles", f"{show(roles)} is a string, not a list",
                             f"roles = [{show(roles)}]", file=file, line=line)
        request = _request(table["account_id"], roles, table.get("provider"), f"{file}:{line or '?'}",
                           file=file, line=line, default_roles=default_roles)
        out.append(request)
    return _no_duplicates(out, file)


def parse_accounts_file(text: str, file: str, default_roles: tuple[str, ...] = ()) -> list[AccountRequest]:
    """CSV or TOML, chosen by the file name (`.toml`), else by the content."""
    is_toml = file.lower().endswith(".toml") or (not file.lower().endswith(".csv")
                                                 and _TOML_ACCOUNT_HEADER.search(text) is not None)
    parse = parse_accounts_toml if is_toml else parse_accounts_csv
    return parse(text, file, default_roles)


def _no_duplicates(requests: list[AccountRequest], file: str | None) -> list[AccountRequest]:
    seen: dict[str, str] = {}
    for r in requests:
        if r.account_id in seen:
            line = int(r.source.rsplit(":", 1)[1]) if r.source.rsplit(":", 1)[-1].isdigit() else None
            raise InputError("account_id", f"{r.account_id} is listed twice (also at {seen[r.account_id]})",
                             "each account once", file=file, line=line)
        seen[r.account_id] = r.source
    return requests


def merge_requests(groups: Iterable[Iterable[AccountRequest]]) -> list[AccountRequest]:
    """Accounts from several sources, first mention wins (flags, then files, then the Organization)."""
    out: dict[str, AccountRequest] = {}
    for group in groups:
        for r in group:
            out.setdefault(r.account_id, r)
    return list(out.values())


# ------------------------------------------------------------------------------------ provider IDs
_SAMPLE_ACCOUNT = "111122223333"


def validate_provider_pattern(pattern: str, field: str = "--provider-pattern") -> str:
    """The pattern must name the account (`{account_id}`), else two accounts would want one ID."""
    if "{account_id}" not in pattern:
        raise InputError(field, f"{show(pattern)} does not contain {{account_id}}",
                         "a pattern naming the account, e.g. aws-{account_id}")
    try:
        sample = pattern.format(account_id=_SAMPLE_ACCOUNT)
    except (KeyError, IndexError, ValueError):
        raise InputError(field, f"{show(pattern)} has a placeholder other than {{account_id}}",
                         "only {account_id}, e.g. aws-{account_id}") from None
    try:
        ids.provider_id(sample, field)
    except InputError as e:
        raise InputError(field, f"{show(pattern)} gives {e.message}", e.expected) from None
    return pattern


def provider_id_for(pattern: str, account_id: str) -> str:
    return pattern.format(account_id=account_id)


@dataclass(frozen=True)
class ExistingProvider:
    """What the pool holds under one provider ID (from providers.list with showDeleted)."""

    provider_id: str
    kind: str  # "aws" | "oidc" | "saml" | "other"
    account_id: str | None
    state: str  # ACTIVE | DELETED

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ExistingProvider":
        kind = next((k for k in ("aws", "oidc", "saml", "x509") if k in data), "other")
        account = (data.get("aws") or {}).get("accountId") if kind == "aws" else None
        return cls(str(data.get("name", "")).rsplit("/", 1)[-1], kind, account, data.get("state", "ACTIVE"))


@dataclass(frozen=True)
class ProviderChoice:
    provider_id: str
    existing: ExistingProvider | None
    """The provider already there for this account (to keep, update or undelete), or None (create)."""
    skipped: tuple[str, ...] = ()
    """IDs passed over because another account or another provider type holds them."""


def choose_provider_id(base: str, account_id: str, existing: Mapping[str, ExistingProvider],
                       reserved: Iterable[str] = ()) -> ProviderChoice:
    """The first of `base`, `base-2`, … that is free or already this account's AWS provider.

    `reserved` are IDs other accounts of the same run will take. Raises InputError when a suffixed ID
    would not be a valid provider ID (over 32 characters): the pattern must then be shortened.
    """
    taken = set(reserved)
    skipped: list[str] = []
    for n in range(1, MAX_SUFFIX + 1):
        candidate = base if n == 1 else f"{base}-{n}"
        if n > 1:
            try:
                ids.provider_id(candidate, "provider")
            except InputError:
                raise InputError("--provider-pattern", f"{show(base)} is taken by another provider and "
                                 f"{show(candidate)} is longer than 32 characters",
                                 "a shorter pattern, or an explicit provider for this account") from None
        have = existing.get(candidate)
        if candidate in taken:
            skipped.append(candidate)
            continue
        if have is None:
            return ProviderChoice(candidate, None, tuple(skipped))
        if have.kind == "aws" and have.account_id == account_id:
            return ProviderChoice(candidate, have, tuple(skipped))
        skipped.append(candidate)
    raise InputError("--provider-pattern", f"{show(base)} and {MAX_SUFFIX - 1} suffixed IDs are all taken",
                     "another pattern")


# -------------------------------------------------------------------------------------- journal
@dataclass(frozen=True)
class JournalRecord:
    """One finished account, as one JSON line of the journal (written once the account is done)."""

    account_id: str
    direction: str
    status: str  # "done"
    target: str
    """aws-to-gcp: the provider ID; gcp-to-aws: the role ARN."""
    fingerprint: str
    """What was asked (pool, service account, roles…): a changed request is not 'done' any more."""
    at: float
    detail: dict[str, Any] = field(default_factory=dict)
    version: int = JOURNAL_VERSION

    def line(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")) + "\n"


def parse_journal(text: str) -> dict[str, JournalRecord]:
    """The last record per account. A line cut short by a crash (the run was killed while writing)
    or any line that is not a record is ignored: the account is then simply done again."""
    out: dict[str, JournalRecord] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            data = json.loads(line)
            record = JournalRecord(**data)
        except (ValueError, TypeError):
            continue
        if record.version == JOURNAL_VERSION and record.status == "done":
            out[record.account_id] = record
    return out


def fingerprint(*parts: Any) -> str:
    import hashlib

    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --------------------------------------------------------------------------------- spec entries
def aws_to_gcp_entry_text(account_id: str, provider: str, roles: Iterable[AssumedRole],
                          service_account: str | None, comment: str | None = None) -> str:
    """One `[[aws_to_gcp]]` table as TOML text, appended to xwiz.toml by hand so that the rest of
    the file (comments, order, spacing) stays exactly as the user wrote it — `dump_spec` rewrites
    the whole file and would drop comments."""
    from wizard.model.spec import toml_string

    names = [r.role_name if r.account == account_id and r.partition == "aws" else r.arn for r in roles]
    lines = [""]
    if comment:
        lines.append(f"# {comment}")
    lines += ["[[aws_to_gcp]]", f"account_id = {toml_string(account_id)}", f"provider = {toml_string(provider)}",
              "roles = [" + ", ".join(toml_string(n) for n in names) + "]"]
    if service_account:
        lines.append(f"service_account = {toml_string(service_account)}")
    lines.append(f"credential_config = {toml_string(f'credentials-{provider}.json')}")
    return "\n".join(lines) + "\n"


def gcp_to_aws_entry_text(service_account: str, account_id: str, role_name: str, audience: str,
                          policies: Iterable[str] = (), comment: str | None = None) -> str:
    from wizard.model.spec import toml_string

    lines = [""]
    if comment:
        lines.append(f"# {comment}")
    lines += ["[[gcp_to_aws]]", f"service_account = {toml_string(service_account)}",
              f"account_id = {toml_string(account_id)}", f"role_name = {toml_string(role_name)}",
              f"audience = {toml_string(audience)}"]
    policies = list(policies)
    if policies:
        lines.append("policies = [" + ", ".join(toml_string(p) for p in policies) + "]")
    return "\n".join(lines) + "\n"
