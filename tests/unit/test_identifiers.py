"""Validators: accepted spellings normalise; every refusal is one line naming the field and the expected form."""

from __future__ import annotations

import pytest

from wizard.model import identifiers as ids
from wizard.model.errors import InputError
from wizard.model.identifiers import AssumedRole

ACCOUNT = "111122223333"


def refusal(fn, *args, **kw) -> str:
    with pytest.raises(InputError) as info:
        fn(*args, **kw)
    text = str(info.value)
    assert "\n" not in text
    assert info.value.exit_code == 2
    return text


def test_input_error_renders_file_line_field_and_expected_form():
    err = refusal(ids.aws_account_id, "12345")
    with pytest.raises(InputError) as info:
        ids.aws_account_id("12345")
    placed = info.value.located(field="aws_to_gcp[0].account_id", file="xwiz.toml", line=7)
    assert str(placed) == ('xwiz.toml:7: aws_to_gcp[0].account_id: "12345" is not an AWS account ID; '
                           "expected 12 digits, e.g. 111122223333")
    assert err.startswith("account_id: ")


@pytest.mark.parametrize("value, expected", [
    ("111122223333", "111122223333"), (" 111122223333 ", "111122223333"), ("1111-2222-3333", "111122223333")])
def test_account_id_accepts(value, expected):
    assert ids.aws_account_id(value) == expected


@pytest.mark.parametrize("value", ["12345", "1111222233334", "11112222333a", "", None, True, 3.5])
def test_account_id_refuses(value):
    assert "expected" in refusal(ids.aws_account_id, value)


def test_account_id_as_toml_integer_says_to_quote_it():
    assert "quoted string" in refusal(ids.aws_account_id, 111122223333)


@pytest.mark.parametrize("fn", [ids.pool_id, ids.provider_id])
@pytest.mark.parametrize("value", ["aws-pool", "abcd", "a" * 32, "0pool", "pool-", "1234"])
def test_pool_and_provider_ids_follow_discovery_text(fn, value):
    # disc:iam.v1: 4-32 characters of [a-z0-9-]; no leading-letter rule is documented.
    assert fn(value) == value


@pytest.mark.parametrize("fn", [ids.pool_id, ids.provider_id])
@pytest.mark.parametrize("value", ["abc", "a" * 33, "Aws-pool", "aws_pool", "gcp-pool", "aws pool"])
def test_pool_and_provider_ids_refuse(fn, value):
    assert "4-32 characters" in refusal(fn, value)


def test_gcp_prefix_is_reserved():
    assert "reserves" in refusal(ids.pool_id, "gcp-foo")


@pytest.mark.parametrize("value", ["my-project", "tokyo-rain-123", "abcdef", "example.com:my-project"])
def test_project_id_accepts(value):
    assert ids.project_id(value) == value


@pytest.mark.parametrize("value", ["abcde", "1project", "my-project-", "My-project", "a" * 31])
def test_project_id_refuses(value):
    refusal(ids.project_id, value)


def test_project_number_refuses_a_project_id_with_the_lookup_command():
    text = refusal(ids.project_number, "my-project")
    assert "project NUMBER" in text and "gcloud projects describe my-project" in text


def test_project_number_accepts_digits_and_ints():
    assert ids.project_number("615204081942") == "615204081942"
    assert ids.project_number(615204081942) == "615204081942"


@pytest.mark.parametrize("value, kind", [
    ("app-runner@my-project.iam.gserviceaccount.com", "user-managed"),
    ("App-Runner@My-Project.iam.gserviceaccount.com", "user-managed"),
    ("serviceAccount:app-runner@my-project.iam.gserviceaccount.com", "user-managed"),
    ("app-runner@proj-x.example.com.iam.gserviceaccount.com", "user-managed"),
    ("123456789012-compute@developer.gserviceaccount.com", "compute-default"),
    ("my-project@appspot.gserviceaccount.com", "appengine-default"),
])
def test_service_account_emails(value, kind):
    ref = ids.parse_service_account(value)
    assert ref.kind == kind
    assert ref.email == ref.email.lower() and not ref.email.startswith("serviceaccount:")


def test_domain_scoped_project_in_email():
    ref = ids.parse_service_account("app-runner@proj-x.example.com.iam.gserviceaccount.com")
    assert ref.project_id == "example.com:proj-x"


@pytest.mark.parametrize("value", [
    "app@my-project.iam.gserviceaccount.com",           # account ID shorter than 6
    "app-runner@my-project.iam.gserviceaccount.co",
    "app-runner",
    "service-123@gcp-sa-iam.iam.gserviceaccount.com",    # a service agent
    "123@cloudservices.gserviceaccount.com",
    "app-runner@1project.iam.gserviceaccount.com",
    "a@b@c.iam.gserviceaccount.com",
])
def test_service_account_refusals(value):
    refusal(ids.service_account_email, value)


def test_service_account_account_id():
    assert ids.service_account_account_id("my-app1") == "my-app1"
    for bad in ("my-ap", "1my-app", "my-app-", "my_app1", "a" * 31):
        refusal(ids.service_account_account_id, bad)


@pytest.mark.parametrize("value", ["us-east-1", "eu-central-1", "cn-north-1", "us-gov-west-1", "ap-southeast-2",
                                   "il-central-1", "us-iso-east-1", "us-isob-east-1"])
def test_regions(value):
    assert ids.aws_region(value) == value


def test_availability_zone_is_not_a_region():
    assert "availability zone" in refusal(ids.aws_region, "us-east-1b")


# ------------------------------------------------------------------------------------------- ARNs
PARTITIONS = ["aws", "aws-cn", "aws-us-gov"]


@pytest.mark.parametrize("partition", PARTITIONS)
@pytest.mark.parametrize("form", [
    "arn:{p}:iam::111122223333:role/app",
    "arn:{p}:iam::111122223333:role/team/app",          # M03: the path is dropped
    "arn:{p}:iam::111122223333:role/a/b/c/app",
    "arn:{p}:sts::111122223333:assumed-role/app",
    "arn:{p}:sts::111122223333:assumed-role/app/i-0abc1234def567890",
    "arn:{p}:sts::111122223333:assumed-role/app/user@example.com",
])
def test_arn_normalisation_table(partition, form):
    role = ids.assumed_role_arn(form.format(p=partition))
    assert role == AssumedRole(partition, ACCOUNT, "app")
    assert role.arn == f"arn:{partition}:sts::111122223333:assumed-role/app"
    assert role.session_prefix == role.arn + "/"


@pytest.mark.parametrize("partition", PARTITIONS)
def test_bare_role_name_needs_account_and_takes_partition(partition):
    assert ids.assumed_role_arn("app", account_id=ACCOUNT, partition=partition).arn == \
        f"arn:{partition}:sts::111122223333:assumed-role/app"
    assert ids.assumed_role_arn("app", account_id=ACCOUNT).partition == "aws"


def test_bare_role_name_without_account_is_refused():
    assert "needs an AWS account ID" in refusal(ids.assumed_role_arn, "app")


@pytest.mark.parametrize("value, words", [
    ("arn:aws:iam::111122223333:user/alice", "IAM user, not a role"),
    ("arn:aws:iam::111122223333:instance-profile/web", "aws iam get-instance-profile --instance-profile-name web"),
    ("arn:aws:iam::111122223333:root", "root user"),
    ("arn:aws:sts::111122223333:federated-user/bob", "federated user"),
    ("arn:aws-iso:iam::111122223333:role/app", "partition"),
    ("arn:aws:iam::12345:role/app", "account ID"),
    ("arn:aws:iam:us-east-1:111122223333:role/app", "region"),
    ("arn:aws:s3:::bucket", "not an IAM role ARN"),
    ("arn:aws:iam::111122223333:role/", "not an IAM role ARN"),
    ("team/app", "neither a role name nor an ARN"),
    ("a" * 65, "not an IAM role name"),
])
def test_role_refusals(value, words):
    assert words in refusal(ids.assumed_role_arn, value, account_id=None)


def test_role_in_another_account_is_refused():
    text = refusal(ids.assumed_role_arn, "arn:aws:iam::444455556666:role/app", account_id=ACCOUNT)
    assert "belongs to account 444455556666" in text


def test_assumed_role_cannot_be_constructed_invalid():
    with pytest.raises(InputError):
        AssumedRole("aws", ACCOUNT, "team/app")
    with pytest.raises(InputError):
        AssumedRole("aws", "123", "app")


def test_instance_session_detection():
    assert ids.is_instance_session("arn:aws:sts::111122223333:assumed-role/app/i-0abc1234def567890")
    assert not ids.is_instance_session("arn:aws:sts::111122223333:assumed-role/app/botocore-session-1")


# --------------------------------------------------------------------------------------- audience
CANON = "//iam.googleapis.com/projects/615204081942/locations/global/workloadIdentityPools/aws-pool/providers/aws-prod"


@pytest.mark.parametrize("value", [
    CANON,
    CANON.replace("//", "https://", 1),
    CANON[len("//iam.googleapis.com/"):],
    CANON + "/",
    "  " + CANON,
])
def test_audience_canonicalisation(value):
    assert ids.audience(value) == CANON
    assert ids.parse_audience(value).https_audience == CANON.replace("//", "https://", 1)


@pytest.mark.parametrize("value, words", [
    (CANON.replace("615204081942", "my-project"), "project NUMBER"),                   # M06
    (CANON.rsplit("/providers/", 1)[0], "names a pool, not a provider"),              # M05
    ("https://iam.googleapis.com/" + CANON, "prefix twice"),                            # M05
    ("//iam.googleapis.com//iam.googleapis.com/" + CANON[21:], "prefix twice"),
    (CANON.replace("global", "us-east1"), "location"),
    ("locations/global/workforcePools/p/providers/q", "not a provider resource name"),
    ("//iam.googleapis.com/locations/global/workforcePools/p/providers/q", "not a provider resource name"),
    (CANON.replace("aws-pool", "gcp-pool"), "reserves"),
    ("sts.amazonaws.com", "not a provider resource name"),
])
def test_audience_refusals(value, words):
    assert words in refusal(ids.audience, value)


def test_project_id_in_audience_suggests_lookup():
    assert "gcloud projects describe my-project" in refusal(ids.audience, CANON.replace("615204081942", "my-project"))


# ------------------------------------------------------------------------------- OIDC / Kubernetes
EKS = "https://oidc.eks.us-east-1.amazonaws.com/id/5F2C1A7E9B3D4C60A8E1F0B2D3C4A5B6"


def test_issuers():
    assert ids.eks_issuer(EKS) == EKS
    assert ids.eks_issuer(EKS + "/") == EKS
    assert ids.oidc_issuer("https://kubernetes.example.com/") == "https://kubernetes.example.com"
    refusal(ids.oidc_issuer, "http://oidc.example.com")
    refusal(ids.oidc_issuer, "https://oidc.example.com?x=1")
    refusal(ids.eks_issuer, "https://kubernetes.example.com")


def test_kubernetes_service_accounts():
    ksa = ids.kubernetes_service_account("apps/billing")
    assert (ksa.namespace, ksa.name, ksa.subject) == ("apps", "billing", "system:serviceaccount:apps:billing")
    assert ids.kubernetes_service_account("system:serviceaccount:apps:billing") == ksa
    for bad in ("billing", "Apps/billing", "apps/", "/billing", "apps/bill ing"):
        refusal(ids.kubernetes_service_account, bad)


def test_numbers():
    assert ids.token_lifetime(3600) == 3600
    assert ids.token_lifetime("600") == 600
    for bad in (599, 43201, True, "1h", 3600.0):
        assert "600 to 43200" in refusal(ids.token_lifetime, bad)
    assert ids.aws_session_duration(900) == 900
    refusal(ids.aws_session_duration, 899)


def test_misc_validators():
    assert ids.iam_policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert ids.iam_policy_arn("arn:aws:iam::111122223333:policy/team/custom")
    refusal(ids.iam_policy_arn, "arn:aws:iam::111122223333:role/x")
    assert ids.gcp_role("roles/storage.objectViewer")
    assert ids.gcp_role("projects/my-project/roles/custom_role")
    refusal(ids.gcp_role, "storage.objectViewer")
    assert ids.location("global") == "global"
    refusal(ids.location, "us-east1")
    assert ids.display_name("AWS federation")
    refusal(ids.display_name, "x" * 33)
    assert ids.aws_profile_name("gcp-app") == "gcp-app"
    refusal(ids.aws_profile_name, "has space")
    assert ids.eks_cluster_name("xwiz-demo") == "xwiz-demo"
    refusal(ids.eks_cluster_name, "-bad")
