"""Google Cloud → AWS steps of the plan: the role, its trust policy, its policies, the ID-token
grant and the AWS profile, for each `[[gcp_to_aws]]` entry.

Called by the planner (`observe`, `plan_steps`) and the applier (`apply_step`). Steps:

* `role` — create the IAM role with xwiz's trust statement(s), or `same`.
* `trust_policy` — merge xwiz's statement into the role's existing trust policy
  (`trustpolicy.merge`: foreign statements are kept as they were); the diff is the JSON change.
* `role_policies` — attach the managed policies the role lacks (never detaches).
* `token_creator` — grant `roles/iam.serviceAccountOpenIdTokenCreator` on the service account to
  the identity that will mint its ID tokens by impersonation (see below).
* `aws_profile` — write the profile whose `credential_process` is `xwiz aws-credentials …`.

Entries naming the same role are planned together: one trust-policy write holds every service
account's statement, since IAM has no etag to make two concurrent read-merge-writes safe.

**Where the ID token comes from, and who gets the token-creator grant.** The profile is written
on the machine that runs `xwiz apply`. If that machine has a metadata server (GCE, Cloud Run,
GKE, or `GCE_METADATA_HOST`) whose default service account *is* the entry's service account, the
profile asks the metadata server and no grant is needed. Otherwise the profile passes
`--service-account`, the token is minted with `generateIdToken` through this machine's
Application Default Credentials (the same identity xwiz is acting as), and that identity gets
`roles/iam.serviceAccountOpenIdTokenCreator` on the service account. No profile, no grant.

**Never the aud trap.** Every document is linted right before it is written; one that sets
`accounts.google.com:aud` to anything but a uniqueId-like value (`trust-policy-aud-is-azp`) is
refused, whether the trap is in what xwiz built or in a statement someone else wrote.
"""

from __future__ import annotations

import difflib
import json
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from wizard.model import iam_policy
from wizard.model import trustpolicy as tp
from wizard.model.errors import (ConflictError, InputError, InvalidRequestError, NotFoundError,
                                 PermissionDeniedError, UnauthenticatedError, XwizError)
from wizard.model.plan import ApplyEvent, Step
from wizard.model.spec import GcpToAws

ORG_ACCESS_ROLE = "OrganizationAccountAccessRole"
"""What AWS Organizations creates in member accounts, trusting the management account."""
TOKEN_CREATOR = "roles/iam.serviceAccountOpenIdTokenCreator"
SESSION_NAME = "xwiz"
DEFAULT_MAX_SESSION_S = 3600
KINDS = ("role", "trust_policy", "role_policies", "token_creator", "aws_profile")

_ADAPTERS_LOCK = threading.Lock()


class GcpToAwsError(XwizError):
    """An AWS or Google answer turned into what to do about it (exit 1)."""


class TrustPolicyRefused(XwizError):
    """xwiz will not write this trust policy (the aud trap)."""


# ---------------------------------------------------------------------------------------------- reading


@dataclass
class RoleGroup:
    """Every entry naming one role: the role is read, created and merged once for all of them."""

    account_id: str
    role_name: str
    entries: list[tuple[int, GcpToAws]] = field(default_factory=list)
    role: dict[str, Any] | None = None
    attached: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.account_id}:{self.role_name}"

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{self.role_name}"

    @property
    def policies(self) -> list[str]:
        out: list[str] = []
        for _, e in self.entries:
            out += [p for p in e.policies if p not in out]
        return out

    @property
    def max_session_s(self) -> int:
        return max([DEFAULT_MAX_SESSION_S, *(e.session_duration or 0 for _, e in self.entries)])


@dataclass
class Observation:
    home_account: str
    groups: dict[str, RoleGroup]
    unique_ids: dict[str, str | None]
    """service account email → uniqueId; None when it does not exist; absent when not readable yet."""
    token_sources: dict[int, str] = field(default_factory=dict)
    """entry index → "metadata" | "impersonation" (entries with a profile only)."""
    caller_member: str | None = None
    sa_policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    config_path: str = ""
    config_text: str = ""


def observe(planner: Any, obs: Any) -> Observation:
    spec = planner.spec
    services = planner.services
    groups: dict[str, RoleGroup] = {}
    for index, entry in enumerate(spec.gcp_to_aws):
        group = groups.setdefault(f"{entry.account_id}:{entry.role_name}", RoleGroup(entry.account_id, entry.role_name))
        _check_same_role_entries(group, index, entry)
        group.entries.append((index, entry))

    home = _home_account(planner)
    for group in groups.values():
        aws = aws_for(planner, group.account_id)
        with _aws_errors(f"reading role {group.arn}"):
            group.role = aws.get_role(group.role_name)
            group.attached = aws.attached_policies(group.role_name) if group.role else []

    unique_ids: dict[str, str | None] = {}
    if obs.iam_readable:
        for email in sorted({e.service_account for e in spec.gcp_to_aws}):
            sa = obs.service_accounts[email] if email in obs.service_accounts else \
                services.gcp.get_service_account(email)
            unique_ids[email] = sa.get("uniqueId") if sa else None

    result = Observation(home, groups, unique_ids)
    from wizard.runtime import aws_config

    result.config_path = str(aws_config.config_path())
    try:
        with open(result.config_path) as fh:
            result.config_text = fh.read()
    except FileNotFoundError:
        result.config_text = ""
    with_profile = [(i, e) for i, e in enumerate(spec.gcp_to_aws) if e.profile]
    if with_profile:
        metadata_email = _metadata_service_account(services)
        for index, entry in with_profile:
            result.token_sources[index] = "metadata" if metadata_email == entry.service_account else "impersonation"
        if "impersonation" in result.token_sources.values():
            result.caller_member = caller_member(services, metadata_email)
            if obs.iam_readable:
                for email in sorted({e.service_account for i, e in with_profile
                                     if result.token_sources[i] == "impersonation"}):
                    if unique_ids.get(email):
                        result.sa_policies[email] = obs.sa_policies.get(email) or \
                            services.gcp.get_service_account_policy(email)
    return result


def _check_same_role_entries(group: RoleGroup, index: int, entry: GcpToAws) -> None:
    for other_index, other in group.entries:
        if other.service_account == entry.service_account and other.audience != entry.audience:
            raise InputError(f"gcp_to_aws[{index}].audience",
                             f"{entry.audience!r} differs from gcp_to_aws[{other_index}]'s {other.audience!r} for the "
                             f"same service account and role; the role trusts one audience per service account",
                             "one entry per service account and role")


def _metadata_service_account(services: Any) -> str | None:
    from wizard.runtime import aws_credentials

    endpoints = services.endpoints
    host = aws_credentials.metadata_host(sandbox=endpoints.sandbox if endpoints.is_sandbox else None)
    return aws_credentials.metadata_default_email(host) if host else None


def caller_member(services: Any, metadata_email: str | None = None) -> str | None:
    """The IAM member xwiz acts as on Google Cloud (it mints the ID tokens when the profile impersonates)."""
    return services.gcp.caller_member(metadata_email)


# ---------------------------------------------------------------------------------------------- AWS accounts


def _adapter_cache(planner: Any) -> dict[str, Any]:
    with _ADAPTERS_LOCK:
        cache = planner.__dict__.get("_gcp_to_aws_adapters")
        if cache is None:
            cache = planner.__dict__["_gcp_to_aws_adapters"] = {"lock": threading.Lock()}
        return cache


def _home_account(planner: Any) -> str:
    cache = _adapter_cache(planner)
    with cache["lock"]:
        if "home" not in cache:
            with _aws_errors("reading the AWS caller identity (sts:GetCallerIdentity)"):
                cache["home"] = planner.services.aws.caller_identity()["Account"]
        return cache["home"]


def aws_for(planner: Any, account_id: str) -> Any:
    """An AWS adapter acting in `account_id`: the admin credentials in their own account, else
    `OrganizationAccountAccessRole` in the other account, assumed with them."""
    home = _home_account(planner)
    if account_id == home:
        return planner.services.aws
    cache = _adapter_cache(planner)
    with cache["lock"]:
        if account_id not in cache:
            arn = f"arn:aws:iam::{account_id}:role/{ORG_ACCESS_ROLE}"
            try:
                out = planner.services.aws.assume_role(arn, SESSION_NAME, 3600)
            except (PermissionDeniedError, NotFoundError) as e:
                raise GcpToAwsError(
                    f"xwiz runs with AWS credentials of account {home} and reaches account {account_id} by assuming "
                    f"{arn}, which AWS refused ({_one_line(e)}); run xwiz with credentials of account {account_id} "
                    f"(AWS_PROFILE=…) or let {home} assume that role") from None
            cache[account_id] = planner.services.aws.for_credentials(out["Credentials"])
        return cache[account_id]


class _aws_errors:
    """AWS's NoSuchEntity / MalformedPolicyDocument / AccessDenied as messages that say what to do."""

    def __init__(self, doing: str, document: dict | None = None) -> None:
        self.doing = doing
        self.document = document

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None or not isinstance(exc, XwizError) or isinstance(exc, (GcpToAwsError, TrustPolicyRefused)):
            return False
        code = getattr(exc, "code", None)
        message = _one_line(exc)
        if isinstance(exc, PermissionDeniedError) or code == "AccessDenied":
            raise GcpToAwsError(f"AWS denied {self.doing} (AccessDenied: {message}); the AWS identity xwiz runs as "
                                f"needs IAM rights there (iam:GetRole, iam:CreateRole, iam:UpdateAssumeRolePolicy, "
                                f"iam:AttachRolePolicy, iam:ListAttachedRolePolicies)") from None
        if code == "MalformedPolicyDocument":
            shown = f"; the document was {tp.policy_document(self.document)}" if self.document else ""
            raise GcpToAwsError(f"AWS rejected the trust policy while {self.doing} (MalformedPolicyDocument: "
                                f"{message}){shown}") from None
        if isinstance(exc, UnauthenticatedError):
            raise GcpToAwsError(f"no usable AWS credentials for {self.doing} ({message}); xwiz needs an AWS admin "
                                f"identity to manage the role: `aws configure`, `aws sso login`, or AWS_PROFILE") from None
        if isinstance(exc, NotFoundError) or code == "NoSuchEntity":
            raise GcpToAwsError(f"{self.doing}: AWS says it does not exist (NoSuchEntity: {message})") from None
        return False


def _one_line(e: Any) -> str:
    return " ".join(str(getattr(e, "message", None) or e).split())[:300]


# ---------------------------------------------------------------------------------------------- trust policies


def _statements(group: RoleGroup, unique_ids: dict[str, str | None]) -> list[dict] | None:
    """xwiz's statements for the group, or None while a uniqueId is not known yet."""
    out = []
    for _, entry in group.entries:
        uid = unique_ids.get(entry.service_account)
        if not uid:
            return None
        out.append(tp.build_statement(uid, entry.audience))
    return out


def merged_policy(existing: Any, statements: list[dict]) -> tuple[dict | None, bool]:
    """(the policy with every statement merged in, whether it changed)."""
    policy = tp.parse_policy(existing)
    changed = False
    for statement in statements:
        result = tp.merge(policy, statement)
        policy, changed = result.policy, changed or result.changed
    return policy, changed


def guard(policy: Any, group: RoleGroup, unique_ids: dict[str, str | None]) -> list[str]:
    """Refuse a document with the aud trap; return warnings about the rest (foreign statements).

    Called on every document right before IAM gets it, and by the planner, so `plan` already says no.
    """
    parsed = tp.parse_policy(policy)
    findings = tp.lint(parsed)
    traps = [f for f in findings if f.code == "trust-policy-aud-is-azp"]
    if traps:
        f = traps[0]
        statement = tp.policy_statements(parsed)[f.statement_index] if f.statement_index is not None else {}
        sid = statement.get("Sid") if isinstance(statement, dict) else None
        where = f"statement {f.statement_index}" + (f" (Sid {sid})" if sid else "")
        raise TrustPolicyRefused(
            f"role {group.arn}: {where} of its trust policy sets accounts.google.com:aud to "
            f"{f.evidence.get('value')!r} — the aud trap (M20): AWS compares :aud with the ID token's azp, the "
            f"service account's numeric uniqueId, so it never matches. xwiz will not write a trust policy that "
            f"contains it: in that statement move the audience to accounts.google.com:oaud and put the uniqueId in "
            f":aud (or remove the statement), then run xwiz again")
    warnings = []
    ours = {tp.statement_sid(uid) for uid in unique_ids.values() if uid}
    for f in findings:
        if f.severity == "fail" and f.statement_index is not None:
            statement = tp.policy_statements(parsed)[f.statement_index]
            if statement.get("Sid") not in ours:
                warnings.append(f"{f.code}: statement {f.statement_index}: {f.summary}")
    for _, entry in group.entries:
        uid = unique_ids.get(entry.service_account)
        if uid:
            verdict = tp.evaluate(parsed, {"iss": "https://accounts.google.com", "aud": entry.audience, "azp": uid,
                                           "sub": uid})
            if not verdict.allowed:
                warnings.append(f"{entry.service_account} still could not assume the role: {verdict.reason}")
    return warnings


def _pretty(policy: Any) -> list[str]:
    return json.dumps(policy, indent=2, ensure_ascii=False).splitlines() if policy else []


def policy_diff(before: Any, after: Any) -> tuple[str, ...]:
    lines = difflib.unified_diff(_pretty(before), _pretty(after), "trust policy (now)", "trust policy (xwiz)",
                                 n=2, lineterm="")
    return tuple(line for line in lines if not line.startswith(("---", "+++")))


def _placeholder_policy(group: RoleGroup, unique_ids: dict[str, str | None]) -> dict:
    """What the plan shows before the uniqueIds can be read (IAM API not on yet)."""
    statements = []
    for _, entry in group.entries:
        uid = unique_ids.get(entry.service_account) or f"<uniqueId of {entry.service_account}>"
        statements.append({"Sid": tp.SID_PREFIX + "<uniqueId>", "Effect": "Allow",
                           "Principal": {"Federated": tp.GOOGLE_PROVIDER}, "Action": tp.ASSUME_ACTION,
                           "Condition": {"StringEquals": {"accounts.google.com:aud": uid,
                                                          "accounts.google.com:oaud": entry.audience,
                                                          "accounts.google.com:sub": uid}}})
    return {"Version": tp.DEFAULT_VERSION, "Statement": statements}


# ---------------------------------------------------------------------------------------------- one role


@dataclass(frozen=True)
class RolePlan:
    """What ensuring one role and its merged trust policy takes, decided from one read of the role."""

    role: dict[str, Any] | None
    """The role as read; None when it is to be created."""
    policy: dict[str, Any]
    """The trust policy xwiz would write: its statements merged into the role's, foreign ones kept."""
    changed: bool
    diff: tuple[str, ...]
    role_warnings: tuple[str, ...]
    trust_warnings: tuple[str, ...]

    @property
    def action(self) -> str:
        if self.role is None:
            return "create"
        return "update" if self.changed else "same"


def plan_role(group: RoleGroup, role: dict[str, Any] | None, unique_ids: dict[str, str | None]) -> RolePlan:
    """Decide the role and its trust policy for every service account of `group` (uniqueIds known).

    Raises TrustPolicyRefused when the document would hold the aud trap, ours or someone else's.
    """
    statements = _statements(group, unique_ids)
    if statements is None:
        raise ValueError(f"the uniqueIds of {group.key}'s service accounts are not known yet")
    if role is None:
        policy = merged_policy(None, statements)[0]
        warnings = guard(policy, group, unique_ids)
        diff = (f"+ role {group.role_name} (MaxSessionDuration {group.max_session_s} s)",
                *(f"+ {line}" for line in _pretty(policy)))
        return RolePlan(None, policy, True, diff, (), tuple(warnings))
    role_warnings = []
    have_max = int(role.get("MaxSessionDuration") or DEFAULT_MAX_SESSION_S)
    if have_max < group.max_session_s:
        role_warnings.append(f"the role's MaxSessionDuration is {have_max} s, less than the session_duration asked "
                             f"for; raise it: aws iam update-role --role-name {group.role_name} "
                             f"--max-session-duration {group.max_session_s}")
    existing = role.get("AssumeRolePolicyDocument")
    policy, changed = merged_policy(existing, statements)
    warnings = guard(policy, group, unique_ids)
    return RolePlan(role, policy, changed, policy_diff(existing, policy) if changed else (), tuple(role_warnings),
                    tuple(warnings))


def ensure_role(aws: Any, group: RoleGroup, unique_ids: dict[str, str | None],
                on_event: Callable[[str, str], None] = lambda kind, message: None, *, create: bool = True) -> str:
    """Create the role trusting the group's service accounts, or merge their statements into its trust
    policy; returns what was done. Reads the role again first, so it acts on what is there now.

    Every document is guarded right before IAM gets it (TrustPolicyRefused for the aud trap); AWS's
    refusals become GcpToAwsError saying what to do. `on_event(kind, message)` gets "warning"s (the
    guard's) and "progress". `create=False`: a missing role is an error (it was there when planned).
    """
    with _aws_errors(f"reading role {group.arn}"):
        role = aws.get_role(group.role_name)
    if role is None:
        if not create:
            raise GcpToAwsError(f"role {group.arn} disappeared since the plan; run xwiz apply again to create it")
        decided = plan_role(group, None, unique_ids)
        for warning in decided.trust_warnings:
            on_event("warning", warning)
        who = ", ".join(e.service_account for _, e in group.entries)
        try:
            with _aws_errors(f"creating role {group.arn}", decided.policy):
                aws.create_role(group.role_name, decided.policy,
                                description=f"Assumed by Google Cloud {who} (xwiz)"[:1000],
                                max_session_s=group.max_session_s, tags={"created-by": "xwiz"})
            return f"created role {group.role_name}"
        except ConflictError:
            on_event("progress", f"role {group.role_name} was created meanwhile; merging instead")
            with _aws_errors(f"reading role {group.arn}"):
                role = aws.get_role(group.role_name)
            if role is None:
                raise GcpToAwsError(f"role {group.arn} could neither be created nor read") from None
    decided = plan_role(group, role, unique_ids)
    for warning in decided.trust_warnings:
        on_event("warning", warning)
    if not decided.changed:
        return f"the trust policy of {group.role_name} already trusts the service account(s)"
    with _aws_errors(f"updating the trust policy of {group.arn}", decided.policy):
        aws.update_trust_policy(group.role_name, decided.policy)
    return f"merged xwiz's statement(s) into the trust policy of {group.role_name} (other statements kept)"


def attach_policies(aws: Any, group: RoleGroup, policies: Iterable[str]) -> list[str]:
    """Attach the managed policies the role lacks (never detaches); returns the ARNs attached."""
    with _aws_errors(f"listing the policies attached to {group.arn}"):
        attached = aws.attached_policies(group.role_name)
    added = []
    for arn in policies:
        if arn in attached:
            continue
        try:
            aws.attach_policy(group.role_name, arn)
        except NotFoundError as e:
            raise GcpToAwsError(f"policy {arn} does not exist in account {group.account_id} or cannot be attached "
                                f"(NoSuchEntity: {_one_line(e)}); fix gcp_to_aws.policies") from None
        except InvalidRequestError as e:
            raise GcpToAwsError(f"AWS refused to attach {arn} to {group.role_name} ({e.code}: {_one_line(e)})") from None
        except PermissionDeniedError as e:
            raise GcpToAwsError(f"AWS denied attaching {arn} to {group.role_name} (AccessDenied: {_one_line(e)}); "
                                f"the AWS identity xwiz runs as needs iam:AttachRolePolicy") from None
        added.append(arn)
    return added


# ---------------------------------------------------------------------------------------------- planning


def plan_steps(planner: Any, obs: Any) -> list[Step]:
    seen: Observation = obs.extra["gcp_to_aws"]
    spec = planner.spec
    steps: list[Step] = []
    unread = () if obs.iam_readable else ("IAM API not enabled yet: the service account's uniqueId is read during "
                                          "apply",)
    for email, uid in seen.unique_ids.items():
        if uid is None and email not in obs.service_accounts:
            index = next(i for i, e in enumerate(spec.gcp_to_aws) if e.service_account == email)
            raise InputError(f"gcp_to_aws[{index}].service_account",
                             f"{email} does not exist (IAM answered 404: check the project and spelling, M28)",
                             "an existing service account")
    sa_steps = tuple(f"service_account:{e}" for e in sorted(obs.service_accounts)
                     if e in {x.service_account for x in spec.gcp_to_aws})
    for group in seen.groups.values():
        steps += _role_steps(group, seen, ("apis", *sa_steps), unread)
    done_creators: set[str] = set()
    for index, entry in enumerate(spec.gcp_to_aws):
        if not entry.profile:
            continue
        group = seen.groups[f"{entry.account_id}:{entry.role_name}"]
        deps = [f"role:{group.key}"]
        if seen.token_sources.get(index) == "impersonation" and entry.service_account not in done_creators:
            done_creators.add(entry.service_account)
            steps.append(_token_creator_step(entry, seen, unread))
        if seen.token_sources.get(index) == "impersonation":
            deps.append(f"token_creator:{entry.service_account}")
        steps.append(_profile_step(planner, index, entry, seen, tuple(deps)))
    return steps


def _role_steps(group: RoleGroup, seen: Observation, deps: tuple[str, ...], unread: tuple[str, ...]) -> list[Step]:
    steps = []
    known = _statements(group, seen.unique_ids) is not None
    role_id = f"role:{group.key}"
    who = ", ".join(e.service_account for _, e in group.entries)
    desired = {"key": group.key}
    decided = plan_role(group, group.role, seen.unique_ids) if known else None
    if group.role is None:
        if decided is not None:
            diff, warnings = decided.diff, (*unread, *decided.trust_warnings)
        else:
            policy = _placeholder_policy(group, seen.unique_ids)
            diff = (f"+ role {group.role_name} (MaxSessionDuration {group.max_session_s} s)",
                    *(f"+ {line}" for line in _pretty(policy)))
            warnings = unread
        steps.append(Step(role_id, "role", "create", group.arn, f"create IAM role {group.role_name} trusting {who}",
                          diff, deps, tuple(warnings), desired))
    else:
        existing = group.role.get("AssumeRolePolicyDocument")
        if decided is None:
            steps.append(Step(role_id, "role", "same", group.arn, f"IAM role {group.role_name} exists", (), deps,
                              (), desired))
            steps.append(Step(f"trust_policy:{group.key}", "trust_policy", "update", group.arn,
                              f"add {who} to the trust policy of {group.role_name} (checked once the uniqueId is read)",
                              policy_diff(existing, merged_policy(existing, [])[0]), (role_id,), unread, desired))
        else:
            steps.append(Step(role_id, "role", "same", group.arn, f"IAM role {group.role_name} exists", (), deps,
                              decided.role_warnings, desired))
            summary = (f"trust {who} in the trust policy of {group.role_name}" if decided.changed
                       else f"the trust policy of {group.role_name} trusts {who}")
            steps.append(Step(f"trust_policy:{group.key}", "trust_policy", decided.action, group.arn, summary,
                              decided.diff, (role_id,), decided.trust_warnings, desired))
    if group.policies:
        missing = [p for p in group.policies if p not in group.attached]
        steps.append(Step(f"role_policies:{group.key}", "role_policies", "update" if missing else "same", group.arn,
                          f"attach {len(missing)} policy(ies) to {group.role_name}" if missing
                          else f"{group.role_name} has its policies attached",
                          tuple(f"+ {p}" for p in missing), (role_id,), (), desired | {"policies": group.policies}))
    return steps


def _token_creator_step(entry: GcpToAws, seen: Observation, unread: tuple[str, ...]) -> Step:
    email = entry.service_account
    resource = f"projects/-/serviceAccounts/{email} IAM policy"
    step_id = f"token_creator:{email}"
    member = seen.caller_member
    if member is None:
        return Step(step_id, "token_creator", "same", resource,
                    f"grant {TOKEN_CREATOR} on {email} yourself", (), ("apis",),
                    (f"xwiz cannot tell which Google identity it acts as, so it cannot grant it {TOKEN_CREATOR} on "
                     f"{email}; the profile mints ID tokens with your Application Default Credentials: gcloud iam "
                     f"service-accounts add-iam-policy-binding {email} --member=user:YOU --role={TOKEN_CREATOR}",),
                    {"member": None})
    policy = seen.sa_policies.get(email)
    if policy is None:
        return Step(step_id, "token_creator", "update", resource, f"let {member} mint ID tokens for {email}",
                    (f"+ {TOKEN_CREATOR}: {member}",), ("apis",), unread, {"member": member, "email": email})
    edit = iam_policy.add_members(policy, {TOKEN_CREATOR: [member]})
    return Step(step_id, "token_creator", "update" if edit.changed else "same", resource,
                f"let {member} mint ID tokens for {email}" if edit.changed
                else f"{member} may mint ID tokens for {email}", edit.added, ("apis",), (),
                {"member": member, "email": email})


def profile_settings(planner: Any, entry: GcpToAws, token_source: str) -> dict[str, str]:
    from wizard.runtime.aws_credentials import credential_process_command

    endpoints = planner.services.endpoints
    command = credential_process_command(
        entry.role_arn, entry.audience,
        service_account=entry.service_account if token_source == "impersonation" else None,
        duration_s=entry.session_duration, sandbox_file=endpoints.sandbox_file if endpoints.is_sandbox else None)
    settings = {"credential_process": command}
    if endpoints.is_sandbox and endpoints.aws.endpoint_url:
        # the profile then works against the sandbox from any AWS SDK or the aws CLI
        settings["endpoint_url"] = endpoints.aws.endpoint_url
        settings["region"] = endpoints.aws.region or "us-east-1"
    return settings


def _profile_step(planner: Any, index: int, entry: GcpToAws, seen: Observation, deps: tuple[str, ...]) -> Step:
    from wizard.runtime import aws_config

    settings = profile_settings(planner, entry, seen.token_sources[index])
    step_id = f"aws_profile:{entry.profile}"
    resource = f"{seen.config_path} [profile {entry.profile}]"
    desired = {"profile": entry.profile, "settings": settings, "path": seen.config_path}
    warnings = []
    if aws_config.shadowing_credentials(entry.profile):
        warnings.append(f"{aws_config.credentials_path()} has keys for profile {entry.profile}; botocore uses them "
                        f"before credential_process: remove them")
    try:
        edit = aws_config.merge_profile(seen.config_text, entry.profile, settings)
    except aws_config.ProfileConflict as e:
        edit = aws_config.merge_profile(seen.config_text, entry.profile, settings, force=True)
        warnings.append(f"{e}: apply needs --force to replace that (the old file is kept as "
                        f"{aws_config.config_path().name}.bak)")
        desired["needs_force"] = True
    source = "the metadata server" if seen.token_sources[index] == "metadata" else "generateIdToken (impersonation)"
    if not edit.changed:
        return Step(step_id, "aws_profile", "same", resource, f"AWS profile {entry.profile} is up to date", (), deps,
                    tuple(warnings), desired)
    return Step(step_id, "aws_profile", "create" if edit.created else "update", resource,
                f"write AWS profile {entry.profile} (ID token from {source})", edit.diff, deps, tuple(warnings),
                desired)


# ---------------------------------------------------------------------------------------------- applying


def apply_step(applier: Any, step: Step, emit: Any) -> str:
    handler = {"role": _apply_role, "trust_policy": _apply_trust_policy, "role_policies": _apply_role_policies,
               "token_creator": _apply_token_creator, "aws_profile": _apply_aws_profile}.get(step.kind)
    if handler is None:
        raise NotImplementedError(step.kind)
    return handler(applier, step, emit)


def _group(applier: Any, step: Step) -> RoleGroup:
    account_id, role_name = step.desired["key"].split(":", 1)
    group = RoleGroup(account_id, role_name)
    group.entries = [(i, e) for i, e in enumerate(applier.spec.gcp_to_aws)
                     if e.account_id == account_id and e.role_name == role_name]
    return group


def _live_unique_ids(applier: Any, group: RoleGroup) -> dict[str, str | None]:
    out = {}
    for _, entry in group.entries:
        sa = applier.services.gcp.get_service_account(entry.service_account)
        if sa is None:
            raise GcpToAwsError(f"service account {entry.service_account} does not exist; create it or fix "
                                f"gcp_to_aws.service_account")
        out[entry.service_account] = sa["uniqueId"]
    return out


def _events(step: Step, emit: Any) -> Callable[[str, str], None]:
    return lambda kind, message: emit(ApplyEvent(step.id, kind, message))


def _apply_role(applier: Any, step: Step, emit: Any) -> str:
    group = _group(applier, step)
    aws = aws_for(applier.planner, group.account_id)
    return ensure_role(aws, group, _live_unique_ids(applier, group), _events(step, emit))


def _apply_trust_policy(applier: Any, step: Step, emit: Any) -> str:
    group = _group(applier, step)
    aws = aws_for(applier.planner, group.account_id)
    return ensure_role(aws, group, _live_unique_ids(applier, group), _events(step, emit), create=False)


def _apply_role_policies(applier: Any, step: Step, emit: Any) -> str:
    group = _group(applier, step)
    added = attach_policies(aws_for(applier.planner, group.account_id), group, step.desired["policies"])
    return f"attached {', '.join(added)}" if added else "unchanged"


def _apply_token_creator(applier: Any, step: Step, emit: Any) -> str:
    member = step.desired.get("member")
    if not member:
        return "left to you (see the plan's warning)"
    email = step.desired["email"]
    gcp = applier.services.gcp

    def modify(policy):
        edit = iam_policy.add_members(policy, {TOKEN_CREATOR: [member]})
        return edit.policy, edit.added

    added = applier._read_modify_write(lambda: gcp.get_service_account_policy(email), modify,
                                       lambda p: gcp.set_service_account_policy(email, p))
    return f"granted {TOKEN_CREATOR} to {member}" if added else "unchanged"


def _apply_aws_profile(applier: Any, step: Step, emit: Any) -> str:
    from pathlib import Path

    from wizard.runtime import aws_config

    d = step.desired
    try:
        return aws_config.write_profile(d["profile"], d["settings"], path=Path(d["path"]), force=applier.force)
    except aws_config.ProfileConflict as e:
        raise GcpToAwsError(f"{e}; re-run with --force to replace it (the old file is kept as "
                            f"{Path(d['path']).name}.bak)") from None
