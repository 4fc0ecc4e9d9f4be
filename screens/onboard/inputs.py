"""What the onboarding steps validate and build, with the model's own validators and parsers (no Textual).

Every validator takes the text of a field and returns the value or raises `InputError`, like the
validators of `wizard.model.identifiers` that the `Field` widget expects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard.model import identifiers as ids
from wizard.model import onboarding as ob
from wizard.model.errors import InputError
from wizard.model.spec import SPEC_FILE, FederationSpec, GcpSpec, load_spec

from ..context import shown_path

MAX_CONCURRENCY = 64
_ANY_ACCOUNT = "000000000000"
# AWS Organizations ids (API reference, ListAccountsForParent ParentId pattern):
# root "r-" + 4-32 of [0-9a-z]; OU "ou-" + 4-32 of [0-9a-z] + "-" + 8-32 of [0-9a-z].
_PARENT_ID = re.compile(r"^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$")


def split_list(text: str) -> list[str]:
    return [part for part in text.replace(",", " ").replace(";", " ").split() if part]


def account_ids(text: str) -> tuple[str, ...]:
    """`111122223333, 4444-5555-6666` → both IDs, each judged by `aws_account_id`; repeats dropped."""
    parts = split_list(text)
    if not parts:
        raise InputError(None, "no account yet", "12-digit AWS account IDs, comma- or space-separated")
    out: list[str] = []
    for part in parts:
        value = ids.aws_account_id(part)  # its message is the CLI's: '"12345" is not an AWS account ID; …'
        if value not in out:
            out.append(value)
    return tuple(out)


def parent_id(text: str) -> str:
    """An OU (`ou-ab12-cdefgh34`) or root (`r-ab12`) ID for ListAccountsForParent."""
    value = text.strip()
    if not _PARENT_ID.match(value):
        raise InputError(None, f"{value!r} is not an OU or root ID", "ou-ab12-cdefgh34, r-ab12, or empty for all")
    return value


def role_names(text: str) -> tuple[str, ...]:
    """Role names or assumed-role/role ARNs; each judged by `assumed_role_arn` (without an account)."""
    parts = split_list(text)
    for part in parts:
        # A name is checked as a name (it applies to every account); an ARN names its own account,
        # which the plan then checks against each account.
        ids.assumed_role_arn(part, None if part.startswith("arn:") else _ANY_ACCOUNT, field="roles")
    return tuple(parts)


def concurrency(text: str) -> int:
    value = text.strip()
    if not value.isdigit() or not 1 <= int(value) <= MAX_CONCURRENCY:
        raise InputError(None, f"{value!r} is not a number from 1 to {MAX_CONCURRENCY}",
                         "how many accounts are worked on at once (8 is a good start)")
    return int(value)


def policy_arns(text: str) -> tuple[str, ...]:
    return tuple(ids.iam_policy_arn(p) for p in split_list(text))


def accounts_file(base: Path):
    """A validator that reads and parses a CSV or TOML accounts file relative to `base`."""

    def judge(text: str) -> tuple[ob.AccountRequest, ...]:
        name = text.strip()
        if not name:
            raise InputError(None, "no file yet", "a CSV (account_id,roles[,provider]) or TOML ([[account]]) file")
        path = Path(name).expanduser()
        if not path.is_absolute():
            path = base / path
        shown = shown_path(path)
        try:
            content = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError(None, f"{shown}: no such file", "a CSV or TOML file of accounts") from None
        except IsADirectoryError:
            raise InputError(None, f"{shown} is a directory", "a CSV or TOML file of accounts") from None
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(None, f"{shown} cannot be read ({getattr(e, 'strerror', None) or type(e).__name__})",
                             "a readable UTF-8 file") from None
        try:
            return tuple(ob.parse_accounts_file(content, shown))
        except InputError as e:
            # The parser's own one line, with its file:line, is the message.
            raise InputError(None, str(e)) from None

    return judge


@dataclass(frozen=True)
class SpecState:
    """The xwiz.toml onboarding works from: loaded from disk when there is one, else the app's."""

    spec: FederationSpec | None
    path: Path
    on_disk: bool
    error: str | None = None

    @property
    def pool(self) -> str | None:
        return self.spec.gcp.pool if self.spec is not None else None

    def where(self) -> str:
        return shown_path(self.path)


def spec_state(base: Path, spec: FederationSpec | None) -> SpecState:
    path = Path(base) / SPEC_FILE
    if path.exists():
        try:
            return SpecState(load_spec(path), path, True)
        except InputError as e:
            return SpecState(None, path, True, str(e))
    return SpecState(spec, path, False)


def default_service_account(spec: FederationSpec | None, direction: str, sandbox_workload: str = "") -> str:
    """The service account of the direction's entries when they name exactly one."""
    if spec is None:
        return sandbox_workload if direction == "gcp-to-aws" else ""
    entries = spec.aws_to_gcp if direction == "aws-to-gcp" else spec.gcp_to_aws
    found = sorted({e.service_account for e in entries if e.service_account})
    if len(found) == 1:
        return found[0]
    return "" if found or direction == "aws-to-gcp" else sandbox_workload


def requests_for(accounts: tuple[ob.AccountRequest, ...], direction: str,
                 roles: tuple[str, ...]) -> list[ob.AccountRequest]:
    """The accounts with the roles typed in the options step filled in where the source gave none.

    Google Cloud → AWS reads a request's first role as the role to create; the typed role name is
    the Onboarder's `role_name` option instead, so nothing is filled in there.
    """
    if direction != "aws-to-gcp":
        return list(accounts)
    return [ob.AccountRequest(a.account_id, a.roles or roles, a.provider, a.source, a.name) for a in accounts]


def onboard_spec(state: SpecState, service_account: str | None, detected_project: str | None) -> FederationSpec:
    """The spec to onboard against; Google Cloud → AWS without an xwiz.toml starts one for the project."""
    if state.spec is not None:
        return state.spec
    project = detected_project
    if service_account:
        project = ids.parse_service_account(service_account).project_id or project
    if not project:
        raise InputError("project", "is unknown: there is no xwiz.toml and no Google Cloud project was detected",
                         "an xwiz.toml with [gcp] project, or a service account email in its project")
    return FederationSpec(GcpSpec(project))


def summary_of(accounts: Any) -> str:
    n = len(accounts)
    return f"{n} account" if n == 1 else f"{n} accounts"
