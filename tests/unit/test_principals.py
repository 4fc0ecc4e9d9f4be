"""Principal builders produce only well-formed members; the parser names M01–M04, M06 and M31."""

from __future__ import annotations

import pytest

from wizard.model import principals as p
from wizard.model.errors import InputError
from wizard.model.identifiers import assumed_role_arn, kubernetes_service_account

N, POOL, ACCOUNT = "615204081942", "aws-pool", "111122223333"
BASE = f"iam.googleapis.com/projects/{N}/locations/global/workloadIdentityPools/{POOL}"
ROLE_SET = f"principalSet://{BASE}/attribute.aws_role/arn:aws:sts::{ACCOUNT}:assumed-role/app"


def codes(member: str, **kw) -> list[str]:
    return [f.code for f in p.parse_member(member, **kw).findings]


def test_resources():
    assert p.pool_resource(N, POOL) == f"//{BASE}"
    assert p.provider_resource(N, POOL, "aws-prod") == f"//{BASE}/providers/aws-prod"
    assert p.provider_name(N, POOL, "aws-prod") == f"{BASE[len('iam.googleapis.com/'):]}/providers/aws-prod"


def test_aws_role_principal_set_from_any_role_spelling():
    for spelling in ("arn:aws:iam::111122223333:role/team/app", "arn:aws:sts::111122223333:assumed-role/app/i-0abc"):
        assert p.aws_role_principal_set(N, POOL, assumed_role_arn(spelling)) == ROLE_SET


def test_a_bare_role_name_cannot_become_a_principal():
    with pytest.raises(TypeError):
        p.aws_role_principal_set(N, POOL, "app")
    with pytest.raises(TypeError):
        p.aws_role_principal_set(N, POOL, "arn:aws:sts::111122223333:assumed-role/app")


def test_builders_refuse_a_project_id():
    with pytest.raises(InputError, match="project NUMBER"):
        p.principal_set_all("my-project", POOL)


def test_kubernetes_principals():
    ksa = kubernetes_service_account("apps/billing")
    assert p.kubernetes_subject("apps", "billing") == "system:serviceaccount:apps:billing"
    assert p.kubernetes_principal(N, POOL, ksa) == f"principal://{BASE}/subject/system:serviceaccount:apps:billing"


def test_other_builders():
    assert p.principal_set_all(N, POOL) == f"principalSet://{BASE}/*"
    assert p.group_principal_set(N, POOL, "admins") == f"principalSet://{BASE}/group/admins"
    with pytest.raises(InputError):
        p.attribute_principal_set(N, POOL, "Aws-Role", "x")


def test_well_formed_members_parse_clean():
    for member, kind in [
        (ROLE_SET, p.PRINCIPAL_SET_ATTRIBUTE),
        (f"principal://{BASE}/subject/system:serviceaccount:apps:billing", p.PRINCIPAL),
        (f"principalSet://{BASE}/group/admins", p.PRINCIPAL_SET_GROUP),
        (f"principalSet://{BASE}/*", p.PRINCIPAL_SET_ALL),
        ("serviceAccount:a@b.iam.gserviceaccount.com", p.SERVICE_ACCOUNT),
        ("user:alice@example.com", p.USER),
        ("group:team@example.com", p.GROUP),
        ("domain:example.com", p.DOMAIN),
        ("allAuthenticatedUsers", p.OTHER),
    ]:
        m = p.parse_member(member)
        assert (m.kind, m.findings, m.ok) == (kind, (), True), member


def test_parsed_parts():
    m = p.parse_member(ROLE_SET)
    assert (m.project_number, m.pool, m.attribute, m.value) == (N, POOL, "aws_role",
                                                              f"arn:aws:sts::{ACCOUNT}:assumed-role/app")
    assert m.federated


def test_m01_role_name_with_fix_when_account_known():
    member = f"principalSet://{BASE}/attribute.aws_role/app"
    (finding,) = p.parse_member(member, account_id=ACCOUNT).findings
    assert (finding.code, finding.misconfig, finding.fix) == ("principal-not-arn", "M01", ROLE_SET)
    assert p.parse_member(member).findings[0].fix is None


def test_m02_and_m03_iam_role_arn_with_path():
    member = f"principalSet://{BASE}/attribute.aws_role/arn:aws:iam::{ACCOUNT}:role/team/app"
    findings = p.parse_member(member).findings
    assert [f.code for f in findings] == ["principal-iam-role-arn", "principal-role-path"]
    assert {f.misconfig for f in findings} == {"M02", "M03"}
    assert all(f.fix == ROLE_SET for f in findings)


def test_session_in_aws_role_never_matches():
    member = ROLE_SET + "/i-0abc1234def567890"
    (finding,) = p.parse_member(member).findings
    assert finding.code == "principal-role-session" and finding.fix == ROLE_SET


def test_m04_instance_session_subject_is_a_warning_with_principal_set_fix():
    member = f"principal://{BASE}/subject/arn:aws:sts::{ACCOUNT}:assumed-role/app/i-0abc1234def567890"
    m = p.parse_member(member)
    (finding,) = m.findings
    assert (finding.code, finding.misconfig, finding.severity, finding.fix) == (
        "principal-instance-session", "M04", "warn", ROLE_SET)
    assert m.ok  # a warning: it works until the instance is replaced


def test_m06_project_id_fixed_when_number_known():
    member = ROLE_SET.replace(N, "xwiz-sandbox")
    m = p.parse_member(member, project_number=N)
    assert m.project == "xwiz-sandbox" and m.project_number is None
    (finding,) = m.findings
    assert (finding.code, finding.misconfig, finding.fix) == ("project-id-not-number", "M06", ROLE_SET)


@pytest.mark.parametrize("member", [
    ROLE_SET.replace("principalSet://", "principleSet://"),
    ROLE_SET.replace("attribute.", "attributes."),
    f"principalSet://{BASE}/subject/system:serviceaccount:apps:billing",
    ROLE_SET.replace(f"{POOL}/", f"{POOL}/providers/aws-prod/"),
    f"principal://{BASE}/attribute.aws_role/arn:aws:sts::{ACCOUNT}:assumed-role/app",
])
def test_m31_malformed_members_with_fix(member):
    m = p.parse_member(member)
    assert "principal-malformed" in [f.code for f in m.findings]
    assert all(f.misconfig == "M31" for f in m.findings if f.code == "principal-malformed")
    assert not m.ok
    fixes = {f.fix for f in m.findings}
    assert fixes and None not in fixes
    (fix,) = fixes
    assert p.parse_member(fix).findings == ()


@pytest.mark.parametrize("member", [
    "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools",
    "principalSet://example.com/projects/1",
    "foo://bar",
    f"principalSet://{BASE}/unknown/x",
    "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/aws-pool/*",
])
def test_unparseable_members_are_malformed_not_errors(member):
    assert codes(member) and set(codes(member)) <= {"principal-malformed", "project-id-not-number"}


def test_subject_too_long():
    member = f"principal://{BASE}/subject/" + "x" * 128
    assert codes(member) == ["subject-too-long"]


def test_non_string_member():
    assert p.parse_member(None).kind == p.OTHER
