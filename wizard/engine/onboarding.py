"""Onboard many AWS accounts into an existing federation, in either direction.

AWS → Google Cloud: one AWS provider per account in the pool of xwiz.toml, its attribute condition
built from the account's roles, and `roles/iam.workloadIdentityUser` for the roles' principal sets on
the service account. Planning reads four things whatever the number of accounts (project number,
pool, the provider list with deleted ones, the service account's policy), so the per-account work is
only the provider write (create + one operation poll). Bindings are written by one binder thread in
batches — one read-modify-write for every account that finished since the last one — instead of one
racing read-modify-write per account.

Google Cloud → AWS: in each account, through an assumed admin role (`OrganizationAccountAccessRole`),
create the role or merge xwiz's statement into its trust policy, and attach the policies — with the
functions `xwiz apply` uses (`gcp_to_aws.plan_role` / `ensure_role` / `attach_policies`), so both lint
before every write and refuse a trust policy with the aud trap, whoever wrote it.

Every account is a unit of work retried as a whole (the adapters already retry each call on 429/503);
finished accounts go to the journal, fsync'd, so a killed run resumes where it stopped. The TUI and
the CLI use the same `Onboarder(...).plan(accounts)` / `.run(accounts, on_event, cancel)`.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from wizard.model import iam_policy, principals
from wizard.model import onboarding as ob
from wizard.model.errors import CloudError, ConflictError, InputError, TransientError, XwizError
from wizard.model.spec import AwsToGcp, FederationSpec, GcpToAws, loads_spec

from . import gcp_to_aws as g2a
from .onboarding_journal import JOURNAL_NAME, Journal, NullJournal
from .planner import FOUR_APIS, Planner
from .policy_rmw import read_modify_write
from .resources import WORKLOAD_IDENTITY_USER, DesiredProvider, aws_provider

DEFAULT_ADMIN_ROLE = "OrganizationAccountAccessRole"
DEFAULT_CONCURRENCY = 8
ACCOUNT_ATTEMPTS = 4
BINDING_ATTEMPTS = 12
STACKSETS_HINT = ("organisations that roll roles out with CloudFormation StackSets: "
                  "xwiz export --format cloudformation, then aws cloudformation create-stack-set / "
                  "create-stack-instances over the OUs")


# ------------------------------------------------------------------------------------ types
@dataclass(frozen=True)
class OnboardOptions:
    direction: str = "aws-to-gcp"
    provider_pattern: str = ob.DEFAULT_PROVIDER_PATTERN
    service_account: str | None = None
    concurrency: int = DEFAULT_CONCURRENCY
    account_attempts: int = ACCOUNT_ATTEMPTS
    provider_limit: int = ob.MAX_PROVIDERS_PER_POOL
    principal_limit: int = ob.MAX_PRINCIPALS_PER_POLICY
    update_spec: bool = True
    # Google Cloud → AWS
    admin_role: str = DEFAULT_ADMIN_ROLE
    role_name: str | None = None
    audience: str | None = None
    policies: tuple[str, ...] = ()


@dataclass(frozen=True)
class AccountPlan:
    account_id: str
    target: str
    """aws-to-gcp: the provider ID; gcp-to-aws: the role ARN."""
    action: str
    """create | update | undelete | same | in-spec | pending (gcp-to-aws: decided in the account) |
    refused (gcp-to-aws: the role's trust policy holds the aud trap; running it fails with `summary`)."""
    summary: str
    roles: tuple[str, ...] = ()
    """Assumed-role ARNs (aws-to-gcp)."""
    members: tuple[str, ...] = ()
    new_members: tuple[str, ...] = ()
    diff: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    fingerprint: str = ""
    journaled: bool = False
    source: str = ""
    name: str | None = None
    desired: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def changes(self) -> bool:
        return self.action not in ("same", "in-spec") or bool(self.new_members)


@dataclass(frozen=True)
class OnboardPlan:
    direction: str
    accounts: tuple[AccountPlan, ...]
    facts: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for a in self.accounts:
            out[a.action] = out.get(a.action, 0) + 1
        return out

    @property
    def new_bindings(self) -> int:
        return sum(len(a.new_members) for a in self.accounts)

    def to_json(self) -> dict[str, Any]:
        return {"schema_version": 1, "direction": self.direction, "facts": self.facts, "counts": self.counts(),
                "new_bindings": self.new_bindings, "warnings": list(self.warnings),
                "accounts": [{"account_id": a.account_id, "target": a.target, "action": a.action,
                              "summary": a.summary, "roles": list(a.roles), "new_members": list(a.new_members),
                              "diff": list(a.diff), "warnings": list(a.warnings), "journaled": a.journaled,
                              "source": a.source, **({"name": a.name} if a.name else {})}
                             for a in self.accounts]}


@dataclass(frozen=True)
class OnboardEvent:
    """What happened to one account (or to the run, account_id None), with running counts."""

    kind: str  # planned | started | retrying | finished | failed | skipped | warning | spec
    account_id: str | None
    message: str
    done: int = 0
    failed: int = 0
    total: int = 0


@dataclass
class AccountResult:
    account_id: str
    target: str
    status: str  # done | unchanged | failed | skipped
    action: str
    message: str = ""
    attempts: int = 0
    duration_s: float = 0.0


@dataclass
class OnboardReport:
    direction: str
    results: list[AccountResult] = field(default_factory=list)
    spec_entries_added: int = 0
    spec_path: str | None = None
    journal_path: str | None = None
    cancelled: bool = False
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.cancelled and all(r.status in ("done", "unchanged") for r in self.results)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out

    def to_json(self) -> dict[str, Any]:
        return {"schema_version": 1, "ok": self.ok, "direction": self.direction, "counts": self.counts(),
                "cancelled": self.cancelled, "wall_s": round(self.wall_s, 3),
                "spec": {"path": self.spec_path, "entries_added": self.spec_entries_added},
                "journal": self.journal_path,
                "accounts": [{"account_id": r.account_id, "target": r.target, "status": r.status,
                              "action": r.action, "message": r.message, "attempts": r.attempts,
                              "duration_ms": int(r.duration_s * 1000)} for r in self.results]}


class OnboardingFailed(XwizError):
    pass


# ------------------------------------------------------------------------------------ discovery
def discover_organization(services: Any, ou: str | None = None,
                          roles: tuple[str, ...] = ()) -> list[ob.AccountRequest]:
    """Accounts of the AWS Organization (or of one OU), ACTIVE ones only: a SUSPENDED account
    cannot be assumed into and its workloads cannot run."""
    accounts = services.aws.list_accounts(ou)
    out = []
    for a in sorted(accounts, key=lambda a: a["Id"]):
        if a.get("Status", "ACTIVE") != "ACTIVE":
            continue
        out.append(ob.AccountRequest(a["Id"], roles, None, f"organization{'/' + ou if ou else ''}", a.get("Name")))
    return out


# ------------------------------------------------------------------------------------ the engine
class Onboarder:
    def __init__(self, services: Any, spec: FederationSpec, *, options: OnboardOptions | None = None,
                 spec_path: Path | str | None = None, journal: Journal | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.services = services
        self.spec = spec
        self.options = options or OnboardOptions()
        self.spec_path = Path(spec_path) if spec_path else None
        if journal is None:
            journal = Journal(self.spec_path.parent / JOURNAL_NAME) if self.spec_path else NullJournal()
        self.journal = journal
        self.sleep = sleep
        if self.options.direction not in ob.DIRECTIONS:
            raise InputError("--direction", f"{self.options.direction!r} is not a direction", ", ".join(ob.DIRECTIONS))
        if self.options.direction == "aws-to-gcp":
            ob.validate_provider_pattern(self.options.provider_pattern)

    @property
    def gcp(self):
        return self.services.gcp

    # -- planning -----------------------------------------------------------------------------
    def plan(self, accounts: Iterable[ob.AccountRequest], *, probe: bool = True) -> OnboardPlan:
        """What onboarding would do, with no write. `probe` (gcp-to-aws) reads each account's role."""
        accounts = list(accounts)
        if not accounts:
            raise InputError("accounts", "none given", "--account-id, --from FILE or --organization")
        if self.options.direction == "aws-to-gcp":
            return self._plan_aws_to_gcp(accounts)
        return self._plan_gcp_to_aws(accounts, probe)

    def _service_account(self, entries: Iterable[Any]) -> str:
        if self.options.service_account:
            return self.options.service_account
        found = sorted({e.service_account for e in entries if e.service_account})
        if len(found) == 1:
            return found[0]
        if not found:
            raise InputError("--service-account", "is needed: xwiz.toml names no service account for this direction",
                             "--service-account EMAIL (the account workloads impersonate)")
        raise InputError("--service-account", f"is needed: xwiz.toml names {len(found)} ({', '.join(found)})",
                         "--service-account EMAIL to choose one")

    def _plan_aws_to_gcp(self, accounts: list[ob.AccountRequest]) -> OnboardPlan:
        spec, g = self.spec, self.spec.gcp
        if not g.pool:
            raise InputError("gcp.pool", "is missing in xwiz.toml", "the existing pool to onboard accounts into")
        email = self._service_account(spec.aws_to_gcp)
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="xwiz-onboard-read") as pool:
            number_f = pool.submit(lambda: g.project_number or self.gcp.service_states(g.project, list(FOUR_APIS))[0])
            pool_f = pool.submit(self.gcp.get_pool, g.project, g.pool)
            providers_f = pool.submit(self.gcp.list_providers, g.project, g.pool, True)
            policy_f = pool.submit(self.gcp.get_service_account_policy, email)
            number, have_pool, listed, policy = (number_f.result(), pool_f.result(), providers_f.result(),
                                                 policy_f.result())
        if have_pool is None or have_pool.get("state") == "DELETED":
            state = "is deleted" if have_pool else "does not exist"
            raise InputError("gcp.pool", f"pool {g.pool} {state}",
                             "an existing pool: run `xwiz apply` first, then onboard accounts into it")
        raw = {str(p.get("name", "")).rsplit("/", 1)[-1]: p for p in listed}
        existing = {pid: ob.ExistingProvider.from_json(p) for pid, p in raw.items()}
        bound = iam_policy.members_of(policy, WORKLOAD_IDENTITY_USER)
        journal = self.journal.load()
        in_spec = {e.account_id: e for e in spec.aws_to_gcp}
        reserved = {e.provider for e in (*spec.aws_to_gcp, *spec.eks_to_gcp)}
        plans: list[AccountPlan] = []
        for request in accounts:
            entry = in_spec.get(request.account_id)
            if entry is not None:
                same_request = (entry.service_account == email and not entry.attribute_condition
                                and set(entry.roles) == set(request.assumed_roles()))
                if not same_request:
                    plans.append(AccountPlan(request.account_id, entry.provider, "in-spec",
                                             f"in xwiz.toml as {entry.provider} with other settings: edit the file "
                                             "and run `xwiz apply`", source=request.source, name=request.name))
                    continue
                # the same request as the spec's entry: verify it (and repair it) under the spec's provider ID
                reserved.discard(entry.provider)
                request = ob.AccountRequest(request.account_id, request.roles, entry.provider, request.source,
                                            request.name)
            plans.append(self._plan_account(request, existing, raw, bound, number, email, reserved, journal))
            reserved.add(plans[-1].target)
        creates = sum(1 for p in plans if p.action == "create")
        if len(existing) + creates > self.options.provider_limit:
            raise InputError("accounts", f"pool {g.pool} holds {len(existing)} provider(s) (soft-deleted ones "
                             f"included) and {creates} more would exceed Google's limit of "
                             f"{self.options.provider_limit} providers per pool",
                             f"at most {self.options.provider_limit - len(existing)} new accounts, or a second "
                             f"pool for the rest")
        principal_count = sum(len(b.get("members", [])) for b in policy.get("bindings", []) or [])
        new_members = len({m for p in plans for m in p.new_members})
        if principal_count + new_members > self.options.principal_limit:
            raise InputError("accounts", f"the policy of {email} holds {principal_count} principal(s) and "
                             f"{new_members} more would exceed Google's limit of {self.options.principal_limit} "
                             "principals per allow policy", "fewer accounts per service account")
        facts = {"project": g.project, "project_number": number, "pool": g.pool, "service_account": email,
                 "providers_in_pool": len(existing), "provider_limit": self.options.provider_limit,
                 "policy_principals": principal_count}
        return OnboardPlan("aws-to-gcp", tuple(plans), facts)

    def _plan_account(self, request: ob.AccountRequest, existing, raw, bound: set[str], number: str, email: str,
                      reserved: set[str], journal: dict[str, ob.JournalRecord]) -> AccountPlan:
        g = self.spec.gcp
        roles = request.assumed_roles()
        if not roles:
            raise InputError("--role", f"account {request.account_id} ({request.source}) has no roles",
                             "--role NAME (applies to every account) or a roles column in the file")
        if request.provider:
            choice = ob.choose_provider_id(request.provider, request.account_id, existing, reserved)
            if choice.provider_id != request.provider:
                raise InputError("provider", f"{request.provider} ({request.source}) is already used by another "
                                 "provider in the pool", "another provider ID for this account")
        else:
            base = ob.provider_id_for(self.options.provider_pattern, request.account_id)
            choice = ob.choose_provider_id(base, request.account_id, existing, reserved)
        pid = choice.provider_id
        entry = AwsToGcp(request.account_id, pid, roles, email)
        want = aws_provider(entry)
        members = tuple(principals.aws_role_principal_set(number, g.pool, r) for r in roles)
        new_members = tuple(m for m in members if m not in bound)
        warnings = [f"{s} is used by another provider: using {pid}" for s in choice.skipped]
        diff: list[str] = []
        desired: dict[str, Any] = {"body": want.body}
        if choice.existing is None:
            action = "create"
            summary = f"create AWS provider {pid}"
            diff.append(f"+ provider {pid} (aws {request.account_id})")
            diff.append(f"+   attributeCondition: {want.body['attributeCondition']}")
        else:
            patch, mask, lines, warns = Planner._provider_diff(raw[pid], want)
            diff += lines
            warnings += warns
            desired.update(patch=patch, mask=",".join(mask))
            if choice.existing.state == "DELETED":
                action, summary = "undelete", f"undelete provider {pid} (soft-deleted, same account)"
                diff.insert(0, f"↺ provider {pid} (state DELETED → ACTIVE)")
            elif mask:
                action, summary = "update", f"update provider {pid}"
            else:
                action, summary = "same", f"provider {pid} is as wanted"
        diff += [f"+ {WORKLOAD_IDENTITY_USER}: {m}" for m in new_members]
        fp = ob.fingerprint("aws-to-gcp", g.project, g.pool, email, pid, sorted(r.arn for r in roles))
        record = journal.get(request.account_id)
        journaled = bool(record and record.fingerprint == fp)
        if journaled and (action != "same" or new_members):
            warnings.append("the journal says this account was done, but the pool or the policy differ: redoing it")
            journaled = False
        if journaled:
            summary = "done in an earlier run (journal), verified"
        elif action == "same" and not new_members:
            summary = f"provider {pid} and its bindings are in place"
        return AccountPlan(request.account_id, pid, action, summary, tuple(r.arn for r in roles), members,
                           new_members, tuple(diff), tuple(warnings), fp, journaled, request.source, request.name,
                           desired)

    def _plan_gcp_to_aws(self, accounts: list[ob.AccountRequest], probe: bool) -> OnboardPlan:
        o = self.options
        email = self._service_account(self.spec.gcp_to_aws)
        if not o.role_name:
            raise InputError("--role-name", "is needed for gcp-to-aws", "the AWS role to create in each account")
        audience = o.audience or o.role_name
        sa = self.gcp.get_service_account(email)
        if sa is None:
            raise InputError("--service-account", f"{email} does not exist", "an existing service account")
        unique_id = sa["uniqueId"]
        caller = self.services.aws.caller_identity()["Account"]
        journal = self.journal.load()
        in_spec = {(e.account_id, e.role_name) for e in self.spec.gcp_to_aws}

        def plan_one(request: ob.AccountRequest) -> AccountPlan:
            role_name = request.roles[0] if request.roles else o.role_name
            arn = f"arn:aws:iam::{request.account_id}:role/{role_name}"
            fp = ob.fingerprint("gcp-to-aws", email, unique_id, role_name, audience, sorted(o.policies))
            desired = {"role_name": role_name, "unique_id": unique_id, "audience": audience, "email": email,
                       "caller": caller}
            if (request.account_id, role_name) in in_spec:
                return AccountPlan(request.account_id, arn, "in-spec", "already in xwiz.toml: `xwiz apply` manages it",
                                   source=request.source, name=request.name)
            record = journal.get(request.account_id)
            journaled = bool(record and record.fingerprint == fp)
            if not probe:
                return AccountPlan(request.account_id, arn, "pending", f"role {role_name} in {request.account_id}",
                                   fingerprint=fp, journaled=journaled, source=request.source, name=request.name,
                                   desired=desired)
            aws = self._account_adapter(request.account_id, caller)
            group = role_group(request.account_id, desired, o.policies)
            role = aws.get_role(role_name)
            try:
                decided = g2a.plan_role(group, role, {email: unique_id})
            except g2a.TrustPolicyRefused as e:
                return AccountPlan(request.account_id, arn, "refused", str(e), fingerprint=fp, source=request.source,
                                   name=request.name, desired=desired)
            action, diff = decided.action, decided.diff
            summary = {"create": f"create role {role_name}",
                       "update": f"add xwiz's statement to the trust policy of {role_name}",
                       "same": f"the trust policy of {role_name} trusts {email}"}[action]
            if o.policies:
                attached = set(aws.attached_policies(role_name)) if role is not None else set()
                missing = tuple(p for p in o.policies if p not in attached)
                diff += tuple(f"+ attach {p}" for p in missing)
                if missing and action == "same":
                    action, summary = "update", f"attach {len(missing)} policy(ies) to {role_name}"
            return AccountPlan(request.account_id, arn, action, summary, diff=diff,
                               warnings=decided.role_warnings + decided.trust_warnings, fingerprint=fp,
                               journaled=journaled and action == "same", source=request.source, name=request.name,
                               desired=desired)

        with ThreadPoolExecutor(max_workers=o.concurrency, thread_name_prefix="xwiz-onboard-read") as pool:
            plans = list(pool.map(plan_one, accounts))
        facts = {"service_account": email, "unique_id": unique_id, "role_name": o.role_name, "audience": audience,
                 "admin_role": o.admin_role, "caller_account": caller}
        return OnboardPlan("gcp-to-aws", tuple(plans), facts, (f"Also possible for {STACKSETS_HINT}",))

    def _account_adapter(self, account_id: str, caller: str):
        aws = self.services.aws
        if account_id == caller:
            return aws  # the management account itself has no OrganizationAccountAccessRole to assume
        role_arn = f"arn:aws:iam::{account_id}:role/{self.options.admin_role}"
        creds = aws.assume_role(role_arn, "xwiz-onboard", 3600)["Credentials"]
        return aws.for_credentials(creds)

    # -- running --------------------------------------------------------------------------------
    def run(self, accounts: Iterable[ob.AccountRequest], on_event: Callable[[OnboardEvent], None] | None = None,
            cancel: threading.Event | None = None, plan: OnboardPlan | None = None) -> OnboardReport:
        started = time.monotonic()
        if plan is None:
            plan = self.plan(accounts, probe=False)
        run = _Run(self, plan, on_event, cancel)
        try:
            run.execute()
        finally:
            self.journal.close()
        report = run.report
        if self.options.update_spec and self.spec_path is not None:
            report.spec_entries_added = self._update_spec(plan, report)
            report.spec_path = str(self.spec_path)
            if report.spec_entries_added:
                run.emit("spec", None, f"added {report.spec_entries_added} entr(ies) to {self.spec_path}")
        report.journal_path = None if isinstance(self.journal, NullJournal) else str(self.journal.path)
        report.wall_s = time.monotonic() - started
        return report

    # -- one account ----------------------------------------------------------------------------
    def provider_unit(self, ap: AccountPlan, attempt: int) -> str:
        """Make the account's provider as planned; on a retry, read it again first."""
        g = self.spec.gcp
        pid = ap.target
        if ap.action == "same" and attempt == 1:
            return "provider in place"  # as read moments ago in the listing
        want = DesiredProvider(pid, "aws", ap.desired["body"], "aws_to_gcp")
        have = None
        action = ap.action
        if attempt > 1 or action == "same":
            have = self.gcp.get_provider(g.project, g.pool, pid)
            action = self._action_from(have, ap)
        if action == "create":
            try:
                self.gcp.create_provider(g.project, g.pool, pid, want.body)
                return "created"
            except ConflictError:
                # our own earlier attempt whose answer was lost, or taken meanwhile: look again
                have = self.gcp.get_provider(g.project, g.pool, pid)
                action = self._action_from(have, ap)
                if action == "create":
                    raise
        outcome = []
        if action == "undelete":
            self.gcp.undelete_provider(g.project, g.pool, pid)
            outcome.append("undeleted")
            have = self.gcp.get_provider(g.project, g.pool, pid)
            if have is None:
                raise TransientError(f"provider {pid} vanished right after its undelete", service="iam")
        if have is None:  # a first attempt at an update: the patch planned from the listing holds
            patch, mask = ap.desired.get("patch") or {}, ap.desired.get("mask") or ""
        else:
            patch, mask_list, _, _ = Planner._provider_diff(have, want)
            mask = ",".join(mask_list)
        if mask:
            self.gcp.patch_provider(g.project, g.pool, pid, patch, mask)
            outcome.append(f"updated {mask}")
        return " and ".join(outcome) or "unchanged"

    def _action_from(self, have: dict | None, ap: AccountPlan) -> str:
        if have is None:
            return "create"
        existing = ob.ExistingProvider.from_json(have)
        if existing.kind != "aws" or existing.account_id != ap.account_id:
            raise OnboardingFailed(f"provider {ap.target} was taken by another provider during the run; run again "
                                   "to pick another ID")
        if existing.state == "DELETED":
            return "undelete"
        return "update"

    def role_unit(self, ap: AccountPlan, attempt: int, warn: Callable[[str], None] = lambda message: None) -> str:
        """Ensure the role and its merged trust policy, then its policies — the same code as `xwiz apply`
        (gcp_to_aws.ensure_role): linted before every write, the aud trap refused, AWS errors explained."""
        d, o = ap.desired, self.options
        aws = self._account_adapter(ap.account_id, d["caller"])
        group = role_group(ap.account_id, d, o.policies)

        def on_event(kind: str, message: str) -> None:
            if kind == "warning":
                warn(message)

        outcome = [g2a.ensure_role(aws, group, {d["email"]: d["unique_id"]}, on_event)]
        added = g2a.attach_policies(aws, group, o.policies)
        outcome += [f"attached {policy.rsplit('/', 1)[-1]}" for policy in added]
        return ", ".join(outcome)

    # -- bindings -------------------------------------------------------------------------------
    def bind(self, email: str, members: list[str]) -> int:
        """One read-modify-write adding every member; retried on a stale etag and on transient errors."""
        if not members:
            return 0

        def modify(policy):
            edit = iam_policy.add_members(policy, {WORKLOAD_IDENTITY_USER: members})
            return edit.policy, edit.added

        added = read_modify_write(lambda: self.gcp.get_service_account_policy(email), modify,
                                  lambda p: self.gcp.set_service_account_policy(email, p),
                                  what=f"the IAM policy of {email}", attempts=BINDING_ATTEMPTS,
                                  retry_on=(TransientError,), sleep=self.sleep)
        return len(added)

    # -- the spec ---------------------------------------------------------------------------------
    def _update_spec(self, plan: OnboardPlan, report: OnboardReport) -> int:
        """Append an entry per onboarded account not yet in xwiz.toml, keeping the file as it was."""
        path = self.spec_path
        done = {r.account_id for r in report.results if r.status in ("done", "unchanged")}
        text = path.read_text(encoding="utf-8")
        current = loads_spec(text, str(path))
        facts = plan.facts
        pieces: list[str] = []
        if plan.direction == "aws-to-gcp":
            present = {e.account_id for e in current.aws_to_gcp}
            for ap in plan.accounts:
                if ap.account_id in done and ap.action != "in-spec" and ap.account_id not in present:
                    roles = tuple(_assumed(arn) for arn in ap.roles)
                    pieces.append(ob.aws_to_gcp_entry_text(ap.account_id, ap.target, roles, facts["service_account"],
                                                           None if pieces else _added_comment(len(done))))
        else:
            present = {(e.account_id, e.role_name) for e in current.gcp_to_aws}
            for ap in plan.accounts:
                role_name = ap.desired.get("role_name")
                if ap.account_id in done and ap.action != "in-spec" and (ap.account_id, role_name) not in present:
                    pieces.append(ob.gcp_to_aws_entry_text(facts["service_account"], ap.account_id, role_name,
                                                           facts["audience"], self.options.policies,
                                                           None if pieces else _added_comment(len(done))))
        if not pieces:
            return 0
        new_text = text if text.endswith("\n") or not text else text + "\n"
        new_text += "".join(pieces)
        loads_spec(new_text, str(path))  # never write a spec that does not load
        _atomic_write(path, new_text)
        return len(pieces)


def role_group(account_id: str, desired: dict[str, Any], policies: tuple[str, ...]) -> g2a.RoleGroup:
    """The onboarded role as the gcp_to_aws module sees a `[[gcp_to_aws]]` entry."""
    entry = GcpToAws(desired["email"], account_id, desired["role_name"], desired["audience"], tuple(policies))
    return g2a.RoleGroup(account_id, desired["role_name"], [(0, entry)])


def _added_comment(n: int) -> str:
    return f"added by `xwiz onboard` on {time.strftime('%Y-%m-%d')}"


def _assumed(arn: str):
    from wizard.model.identifiers import assumed_role_arn

    return assumed_role_arn(arn)


def _atomic_write(path: Path, text: str) -> None:
    import os

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


# ------------------------------------------------------------------------------------ one run
class _Run:
    """The moving parts of one run: the worker pool, the binder, the journal, the counts."""

    def __init__(self, onboarder: Onboarder, plan: OnboardPlan, on_event, cancel) -> None:
        self.o = onboarder
        self.plan = plan
        self.on_event = on_event
        self.cancel = cancel
        self.lock = threading.Lock()
        self.report = OnboardReport(plan.direction)
        self.total = len(plan.accounts)
        self.done = 0
        self.failed = 0
        self.binds: queue.Queue = queue.Queue()

    def emit(self, kind: str, account_id: str | None, message: str) -> None:
        if self.on_event is not None:
            with self.lock:
                event = OnboardEvent(kind, account_id, message, self.done, self.failed, self.total)
            self.on_event(event)

    def finish(self, ap: AccountPlan, status: str, message: str, attempts: int, started: float) -> None:
        with self.lock:
            self.report.results.append(AccountResult(ap.account_id, ap.target, status, ap.action, message, attempts,
                                                     time.monotonic() - started))
            if status == "failed":
                self.failed += 1
            elif status in ("done", "unchanged"):
                self.done += 1
        kind = {"failed": "failed", "skipped": "skipped"}.get(status, "finished")
        self.emit(kind, ap.account_id, message)

    def record(self, ap: AccountPlan, detail: dict[str, Any]) -> ob.JournalRecord:
        return ob.JournalRecord(ap.account_id, self.plan.direction, "done", ap.target, ap.fingerprint, time.time(),
                                detail)

    def execute(self) -> None:
        o = self.o
        self.emit("planned", None, f"{self.total} account(s)")
        work: list[AccountPlan] = []
        ready: list[tuple[AccountPlan, str]] = []
        for ap in self.plan.accounts:
            if ap.action == "in-spec":
                self.finish(ap, "unchanged", ap.summary, 0, time.monotonic())
            elif ap.journaled or (ap.action == "same" and not ap.new_members):
                ready.append((ap, ap.summary))
            else:
                work.append(ap)
        # accounts already in place still get their journal line, so the journal is complete
        o.journal.write([self.record(ap, {"verified": True}) for ap, _ in ready if not ap.journaled])
        for ap, message in ready:
            self.finish(ap, "unchanged", message, 0, time.monotonic())
        binder = None
        if self.plan.direction == "aws-to-gcp":
            binder = threading.Thread(target=self._binder, name="xwiz-onboard-bind", daemon=True)
            binder.start()
        try:
            with ThreadPoolExecutor(max_workers=max(1, o.options.concurrency),
                                    thread_name_prefix="xwiz-onboard") as pool:
                for ap in work:
                    pool.submit(self._unit, ap)
        finally:
            if binder is not None:
                self.binds.put(None)
                binder.join()
        self.report.cancelled = bool(self.cancel is not None and self.cancel.is_set())
        order = {ap.account_id: i for i, ap in enumerate(self.plan.accounts)}
        self.report.results.sort(key=lambda r: order.get(r.account_id, 0))

    def _unit(self, ap: AccountPlan) -> None:
        started = time.monotonic()
        if self.cancel is not None and self.cancel.is_set():
            self.finish(ap, "skipped", "cancelled before it started", 0, started)
            return
        self.emit("started", ap.account_id, ap.summary)
        o = self.o
        attempts = o.options.account_attempts
        for attempt in range(1, attempts + 1):
            try:
                if self.plan.direction == "aws-to-gcp":
                    message = o.provider_unit(ap, attempt)
                    self.binds.put((ap, message, attempt, started))
                    return
                message = o.role_unit(ap, attempt, lambda warning: self.emit("warning", ap.account_id, warning))
                o.journal.write([self.record(ap, {"message": message})])
                self.finish(ap, "done", message, attempt, started)
                return
            except (TransientError, ConflictError) as e:
                if attempt == attempts:
                    self.finish(ap, "failed", f"{e} (after {attempt} attempts)", attempt, started)
                    return
                delay = random.uniform(0, min(8.0, 0.5 * 2 ** attempt))
                self.emit("retrying", ap.account_id, f"attempt {attempt} failed ({e}); again in {delay:.1f} s")
                o.sleep(delay)
            except XwizError as e:
                self.finish(ap, "failed", str(e), attempt, started)
                return
            except Exception as e:  # a bug: report it on the account, keep the run going
                self.finish(ap, "failed", f"internal error: {type(e).__name__}: {e}", attempt, started)
                return

    def _binder(self) -> None:
        """Commit the bindings of every account whose provider is done, in batches, then journal them."""
        email = self.plan.facts["service_account"]
        stop = False
        while not stop:
            item = self.binds.get()
            if item is None:
                return
            batch = [item]
            while True:
                try:
                    more = self.binds.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            members = list(dict.fromkeys(m for ap, *_ in batch for m in ap.members))
            try:
                added = self.o.bind(email, members)
            except (XwizError, CloudError) as e:
                for ap, _message, attempt, started in batch:
                    self.finish(ap, "failed", f"binding {WORKLOAD_IDENTITY_USER}: {e}", attempt, started)
                continue
            except Exception as e:  # noqa: BLE001 — a bug; the accounts must not hang
                for ap, _message, attempt, started in batch:
                    self.finish(ap, "failed", f"internal error while binding: {type(e).__name__}: {e}", attempt,
                                started)
                continue
            self.o.journal.write([self.record(ap, {"provider": message}) for ap, message, *_ in batch])
            for ap, message, attempt, started in batch:
                bound = len(ap.new_members)
                self.finish(ap, "done", message + (f", bound {bound} principal set(s)" if bound else ""),
                            attempt, started)
