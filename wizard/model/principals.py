"""Federated principals: builders that cannot produce the common mistakes, and a parser that names them.

Member grammar (disc:iam.v1 `Binding.members`, cloud-facts §1.4):
  principal://iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/subject/SUBJECT
  principalSet://iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/group/GROUP
  principalSet://iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/attribute.NAME/VALUE
  principalSet://iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/*

setIamPolicy accepts many wrong strings without complaint (M01–M04, M06), so `parse_member` returns
structured findings with cause codes the doctor reports, and a corrected member when it can compute one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wizard.model import identifiers as ids
from wizard.model.errors import Finding, InputError, show
from wizard.model.identifiers import AssumedRole, KubernetesServiceAccount

IAM_HOST = ids.IAM_HOST
_ATTRIBUTE_NAME = re.compile(r"[a-z0-9_]{1,100}")


# ------------------------------------------------------------------------------------------ builders
def pool_name(number: str, pool: str) -> str:
    """The pool's relative resource name, as the IAM API returns it (always by project number)."""
    return f"projects/{ids.project_number(number)}/locations/global/workloadIdentityPools/{ids.pool_id(pool)}"


def provider_name(number: str, pool: str, provider: str) -> str:
    return f"{pool_name(number, pool)}/providers/{ids.provider_id(provider)}"


def pool_resource(number: str, pool: str) -> str:
    """`//iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P`."""
    return f"//{IAM_HOST}/{pool_name(number, pool)}"


def provider_resource(number: str, pool: str, provider: str) -> str:
    """The provider's full resource name = the STS audience: `//iam.googleapis.com/…/providers/Q`."""
    return f"//{IAM_HOST}/{provider_name(number, pool, provider)}"


def _pool_path(number: str, pool: str) -> str:
    return f"{IAM_HOST}/{pool_name(number, pool)}"


def aws_role_principal_set(number: str, pool: str, role: AssumedRole) -> str:
    """All sessions of one IAM role, as the default AWS mapping names them (cloud-facts §2.1):
    `principalSet://iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/attribute.aws_role/arn:aws:sts::A:assumed-role/R`.

    Takes an `AssumedRole` only: a role name or an IAM role ARN here is exactly M01/M02.
    """
    if not isinstance(role, AssumedRole):
        raise TypeError("aws_role_principal_set needs an AssumedRole (see identifiers.assumed_role_arn), "
                        f"not {type(role).__name__}")
    return attribute_principal_set(number, pool, "aws_role", role.arn)


def attribute_principal_set(number: str, pool: str, attribute: str, value: str) -> str:
    if not isinstance(attribute, str) or not _ATTRIBUTE_NAME.fullmatch(attribute):
        raise InputError("attribute", f"{show(attribute)} is not an attribute name", "1-100 characters of [a-z0-9_]")
    if not isinstance(value, str) or not value or value != value.strip():
        raise InputError("attribute value", f"{show(value)} is not a usable attribute value", "a non-empty string")
    return f"principalSet://{_pool_path(number, pool)}/attribute.{attribute}/{value}"


def subject_principal(number: str, pool: str, subject: str) -> str:
    """One identity: `principal://iam.googleapis.com/…/workloadIdentityPools/P/subject/SUBJECT`."""
    if not isinstance(subject, str) or not subject or subject != subject.strip():
        raise InputError("subject", f"{show(subject)} is not a usable subject", "a non-empty string")
    return f"principal://{_pool_path(number, pool)}/subject/{subject}"


def group_principal_set(number: str, pool: str, group: str) -> str:
    if not isinstance(group, str) or not group or group != group.strip():
        raise InputError("group", f"{show(group)} is not a usable group", "a non-empty string")
    return f"principalSet://{_pool_path(number, pool)}/group/{group}"


def principal_set_all(number: str, pool: str) -> str:
    """Every identity in the pool."""
    return f"principalSet://{_pool_path(number, pool)}/*"


def kubernetes_subject(namespace: str | KubernetesServiceAccount, name: str | None = None) -> str:
    """`system:serviceaccount:NS:NAME`, the `sub` of a Kubernetes service account token."""
    if isinstance(namespace, KubernetesServiceAccount):
        return namespace.subject
    return ids.kubernetes_service_account(f"{namespace}/{name}").subject


def kubernetes_principal(number: str, pool: str, ksa: KubernetesServiceAccount) -> str:
    """The binding for one Kubernetes service account under `google.subject = assertion.sub`."""
    return subject_principal(number, pool, kubernetes_subject(ksa))


# ------------------------------------------------------------------------------------------- parser
PRINCIPAL = "principal"
PRINCIPAL_SET_ATTRIBUTE = "principalSet-attribute"
PRINCIPAL_SET_GROUP = "principalSet-group"
PRINCIPAL_SET_ALL = "principalSet-all"
SERVICE_ACCOUNT = "serviceAccount"
USER = "user"
GROUP = "group"
DOMAIN = "domain"
OTHER = "other"

FEDERATED_KINDS = (PRINCIPAL, PRINCIPAL_SET_ATTRIBUTE, PRINCIPAL_SET_GROUP, PRINCIPAL_SET_ALL)


@dataclass(frozen=True)
class Member:
    """One IAM policy member, taken apart. `findings` lists what is wrong with it (empty when fine)."""

    member: str
    kind: str
    project: str | None = None          # as written: a number, or (wrongly) a project ID
    project_number: str | None = None   # set only when `project` is a number
    location: str | None = None
    pool: str | None = None
    attribute: str | None = None
    value: str | None = None
    subject: str | None = None
    group: str | None = None
    email: str | None = None
    findings: tuple[Finding, ...] = ()

    @property
    def federated(self) -> bool:
        return self.kind in FEDERATED_KINDS

    @property
    def ok(self) -> bool:
        return not any(f.severity == "fail" for f in self.findings)


_SIMPLE_KINDS = {"serviceAccount": SERVICE_ACCOUNT, "user": USER, "group": GROUP, "domain": DOMAIN}
_PREFIX_TYPOS = {"principleset": "principalSet", "principalset": "principalSet", "principalsets": "principalSet",
                 "principle": "principal", "principals": "principal"}


def _malformed(summary: str, fix: str | None = None) -> Finding:
    return Finding("principal-malformed", summary, misconfig="M31", fix=fix)


def parse_member(member: str, *, project_number: str | None = None, account_id: str | None = None) -> Member:
    """Classify a policy member and report M01–M04, M06 and M31 problems as findings.

    `project_number` and `account_id`, when known, let the findings carry a corrected member
    (the number for a project ID, the account for a bare role name). Never raises on a string.
    """
    if not isinstance(member, str):
        return Member(str(member), OTHER, findings=(_malformed(f"{show(member)} is not a string"),))
    scheme, sep, rest = member.partition("://")
    if not sep:
        head, colon, tail = member.partition(":")
        if colon and head in _SIMPLE_KINDS:
            return Member(member, _SIMPLE_KINDS[head], email=tail or None)
        if member.startswith("iam.googleapis.com/") or member.startswith("//iam.googleapis.com/"):
            return Member(member, OTHER, findings=(_malformed(
                f"{show(member)} has no principal:// or principalSet:// prefix"),))
        return Member(member, OTHER)

    findings: list[Finding] = []
    canonical_scheme = scheme
    if scheme not in ("principal", "principalSet"):
        fixed = _PREFIX_TYPOS.get(scheme.lower())
        if fixed is None:
            return Member(member, OTHER, findings=(_malformed(f"{show(scheme + '://')} is an unknown member type"),))
        findings.append(_malformed(f"{show(scheme + '://')} is misspelt; the type is {fixed}://"))
        canonical_scheme = fixed

    if not rest.startswith(IAM_HOST + "/"):
        return Member(member, OTHER, findings=tuple(findings) + (_malformed(
            f"{show(member)} does not start with {canonical_scheme}://{IAM_HOST}/projects/"),))
    parts = rest[len(IAM_HOST) + 1:].split("/")
    if (len(parts) < 6 or parts[0] != "projects" or parts[2] != "locations"
            or parts[4] != "workloadIdentityPools"):
        return Member(member, OTHER, findings=tuple(findings) + (_malformed(
            f"{show(member)} is not under projects/NUMBER/locations/global/workloadIdentityPools/POOL"),))

    project, location, pool = parts[1], parts[3], parts[5]
    tail = parts[6:]
    number = project if ids._PROJECT_NUMBER.fullmatch(project) else None
    fixed_project = number or project_number
    if number is None:
        findings.append(Finding(
            "project-id-not-number",
            f"the member names project {show(project)} by ID; principals need the project NUMBER",
            misconfig="M06", field="member"))
    if location != "global":
        findings.append(_malformed(f"location {show(location)} is not global"))
    try:
        ids.pool_id(pool)
    except InputError:
        findings.append(_malformed(f"{show(pool)} is not a valid pool ID"))

    if len(tail) >= 2 and tail[0] == "providers":
        # Principals live on the pool; a provider path is never matched (M31).
        findings.append(_malformed("the member names a provider; principals are identified by the pool",
                                   fix=None))
        tail = tail[2:]

    kind, attribute, value, subject, group = OTHER, None, None, None, None
    head = tail[0] if tail else ""
    if head == "*" and len(tail) == 1:
        kind = PRINCIPAL_SET_ALL
        if canonical_scheme != "principalSet":
            findings.append(_malformed("'/*' needs principalSet://"))
    elif head == "subject" and len(tail) >= 2:
        kind, subject = PRINCIPAL, "/".join(tail[1:])
        if canonical_scheme != "principal":
            findings.append(_malformed("a /subject/ member is principal://, not principalSet://"))
    elif head == "group" and len(tail) >= 2:
        kind, group = PRINCIPAL_SET_GROUP, "/".join(tail[1:])
        if canonical_scheme != "principalSet":
            findings.append(_malformed("a /group/ member is principalSet://, not principal://"))
    elif (head.startswith("attribute.") or head.startswith("attributes.")) and len(tail) >= 2:
        kind = PRINCIPAL_SET_ATTRIBUTE
        attribute = head.split(".", 1)[1]
        value = "/".join(tail[1:])
        if head.startswith("attributes."):
            findings.append(_malformed("'attributes.' is misspelt; the segment is 'attribute.NAME'"))
        if not _ATTRIBUTE_NAME.fullmatch(attribute):
            findings.append(_malformed(f"{show(attribute)} is not an attribute name ([a-z0-9_], at most 100)"))
        if canonical_scheme != "principalSet":
            findings.append(_malformed("an attribute member is principalSet://, not principal://"))
    else:
        findings.append(_malformed(f"{show('/'.join(tail))} is not subject/…, group/…, attribute.NAME/… or *"))
        return Member(member, OTHER, project=project, project_number=number, location=location, pool=pool,
                      findings=tuple(findings))

    if kind == PRINCIPAL_SET_ATTRIBUTE and attribute == "aws_role" and value:
        findings.extend(_aws_role_findings(value, fixed_project, pool, account_id))
    if kind == PRINCIPAL and subject:
        findings.extend(_subject_findings(subject, fixed_project, pool))

    result = Member(member, kind, project=project, project_number=number, location=location, pool=pool,
                    attribute=attribute, value=value, subject=subject, group=group)
    fixed_member = _rebuild(result, fixed_project, findings)
    findings = [f if f.fix is not None or f.code not in ("principal-malformed", "project-id-not-number")
                else Finding(f.code, f.summary, f.misconfig, f.severity, f.field, fixed_member, f.evidence)
                for f in findings]
    return Member(member, kind, project=project, project_number=number, location=location, pool=pool,
                  attribute=attribute, value=value, subject=subject, group=group, findings=tuple(findings))


def _rebuild(m: Member, number: str | None, findings: list[Finding]) -> str | None:
    """The well-formed member with the same meaning, when the parts allow one."""
    if number is None or m.pool is None:
        return None
    try:
        if m.kind == PRINCIPAL_SET_ALL:
            return principal_set_all(number, m.pool)
        if m.kind == PRINCIPAL and m.subject:
            return subject_principal(number, m.pool, m.subject)
        if m.kind == PRINCIPAL_SET_GROUP and m.group:
            return group_principal_set(number, m.pool, m.group)
        if m.kind == PRINCIPAL_SET_ATTRIBUTE and m.attribute and m.value:
            value = m.value
            for f in findings:  # an aws_role fix replaces the value too
                if f.code in _VALUE_FIX_CODES and f.fix:
                    return f.fix
            return attribute_principal_set(number, m.pool, m.attribute, value)
    except InputError:
        return None
    return None


_VALUE_FIX_CODES = ("principal-not-arn", "principal-iam-role-arn", "principal-role-path", "principal-role-session")


def _aws_role_findings(value: str, number: str | None, pool: str, account_id: str | None) -> list[Finding]:
    """What is wrong with the value of an `attribute.aws_role` principalSet under the default mapping."""
    def fixed(role: AssumedRole | None) -> str | None:
        if role is None or number is None:
            return None
        try:
            return aws_role_principal_set(number, pool, role)
        except InputError:
            return None

    evidence = {"value": value}
    if not value.startswith("arn:"):
        role = None
        if account_id is not None:
            try:
                role = ids.assumed_role_arn(value, account_id=account_id)
            except InputError:
                role = None
        return [Finding("principal-not-arn",
                        f"attribute.aws_role is {show(value)}, but the default AWS mapping yields an assumed-role "
                        "ARN (arn:aws:sts::ACCOUNT:assumed-role/ROLE), so this binding never matches",
                        misconfig="M01", fix=fixed(role), evidence=evidence)]
    parts = value.split(":", 5)
    if len(parts) == 6 and parts[2] == "iam" and parts[5].startswith("role/"):
        try:
            role = ids.assumed_role_arn(value)
        except InputError:
            return [_malformed(f"{show(value)} is not a valid IAM role ARN")]
        out = [Finding("principal-iam-role-arn",
                       f"attribute.aws_role is the IAM role ARN {show(value)}; the assertion carries the STS "
                       f"assumed-role ARN {role.arn}", misconfig="M02", fix=fixed(role), evidence=evidence)]
        if parts[5].count("/") > 1:
            out.append(Finding("principal-role-path",
                               f"the role path in {show(value)} is never part of an assumed-role ARN",
                               misconfig="M03", fix=fixed(role), evidence=evidence))
        return out
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        try:
            role = ids.assumed_role_arn(value)
        except InputError:
            return [_malformed(f"{show(value)} is not a valid assumed-role ARN")]
        if role.arn != value:
            # The default mapping strips the session name, so a session-qualified value never matches.
            return [Finding("principal-role-session",
                            f"attribute.aws_role {show(value)} includes a session name; the default mapping "
                            f"yields {role.arn}", misconfig=None, fix=fixed(role), evidence=evidence)]
        return []
    # An IAM user's aws_role is its own ARN (cloud-facts §2.1); anything else is suspicious but legal.
    return []


def _subject_findings(subject: str, number: str | None, pool: str) -> list[Finding]:
    out: list[Finding] = []
    if subject.startswith("arn:") and ":assumed-role/" in subject and ids.is_instance_session(subject):
        role = None
        try:
            role = ids.assumed_role_arn(subject)
        except InputError:
            pass
        fix = aws_role_principal_set(number, pool, role) if role and number else None
        out.append(Finding("principal-instance-session",
                           f"the member binds one EC2 instance's session ({show(subject)}); it stops matching "
                           "when the instance is replaced", misconfig="M04", severity="warn", fix=fix,
                           evidence={"subject": subject}))
    elif subject.startswith("arn:") and ":iam::" in subject and ":role/" in subject:
        role = None
        try:
            role = ids.assumed_role_arn(subject)
        except InputError:
            pass
        fix = aws_role_principal_set(number, pool, role) if role and number else None
        out.append(Finding("principal-iam-role-arn",
                           f"the subject is the IAM role ARN {show(subject)}; the default mapping's subject is "
                           "the session ARN arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION",
                           misconfig="M02", fix=fix, evidence={"subject": subject}))
    if len(subject.encode()) > 127:
        out.append(Finding("subject-too-long", f"the subject is {len(subject.encode())} bytes; google.subject "
                           "cannot exceed 127 bytes", misconfig="M26", evidence={"bytes": len(subject.encode())}))
    return out
