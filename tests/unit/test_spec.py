"""xwiz.toml: every problem is one line with file, line, field path and expected form; dump round-trips."""

from __future__ import annotations

import pytest

from wizard.model import spec as sp
from wizard.model.errors import InputError
from wizard.model.identifiers import AssumedRole, kubernetes_service_account

FULL = '''\
version = 1

[gcp]
project = "xwiz-sandbox"
project_number = "615204081942"
pool = "aws-pool"
pool_display_name = "AWS federation"

[[aws_to_gcp]]
account_id = "111122223333"
provider = "aws-workload"
roles = [
  "xwiz-ec2-app",
  "arn:aws:iam::111122223333:role/team/worker",
  "arn:aws:sts::111122223333:assumed-role/batch/session-1",
]
service_account = "app-runner@xwiz-sandbox.iam.gserviceaccount.com"
create_service_account = true
grant_roles = ["roles/storage.objectViewer"]
credential_config = "gcp-credentials.json"
imdsv2 = true
token_lifetime = 3600
audit_logs = true

[[aws_to_gcp]]
account_id = "444455556666"
provider = "aws-second"
roles = ["arn:aws:iam::444455556666:role/reporting"]
attribute_condition = "assertion.arn.startsWith('arn:aws:sts::444455556666:assumed-role/reporting/')"

[[eks_to_gcp]]
cluster = "xwiz-demo"
region = "us-east-1"
provider = "eks-demo"
kubernetes_service_accounts = ["apps/billing", "apps/reports"]
service_account = "billing-sa@xwiz-sandbox.iam.gserviceaccount.com"

[[gcp_to_aws]]
service_account = "gce-workload@xwiz-sandbox.iam.gserviceaccount.com"
account_id = "111122223333"
role_name = "gcp-reader"
policies = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
audience = "xwiz-gcp-reader"
profile = "gcp-reader"
session_duration = 3600
'''


def error(text: str) -> str:
    with pytest.raises(InputError) as info:
        sp.loads_spec(text)
    message = str(info.value)
    assert "\n" not in message and info.value.exit_code == 2
    return message


def test_full_spec_loads_and_normalises():
    spec = sp.loads_spec(FULL)
    assert spec.gcp == sp.GcpSpec("xwiz-sandbox", "aws-pool", "615204081942", "global", "AWS federation")
    first, second = spec.aws_to_gcp
    assert [r.arn for r in first.roles] == [
        "arn:aws:sts::111122223333:assumed-role/xwiz-ec2-app",
        "arn:aws:sts::111122223333:assumed-role/worker",
        "arn:aws:sts::111122223333:assumed-role/batch"]
    assert first.credential_config == "gcp-credentials.json" and first.token_lifetime == 3600
    assert second.credential_config == "credentials-aws-second.json" and second.imdsv2 is True
    assert second.service_account is None and second.attribute_condition.startswith("assertion.arn")
    (eks,) = spec.eks_to_gcp
    assert eks.allowed_audiences == ("sts.amazonaws.com",)
    assert eks.token_path == "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"
    assert eks.kubernetes_service_accounts[0] == kubernetes_service_account("apps/billing")
    (g2a,) = spec.gcp_to_aws
    assert g2a.role_arn == "arn:aws:iam::111122223333:role/gcp-reader"


def test_dump_round_trips():
    spec = sp.loads_spec(FULL)
    assert sp.loads_spec(sp.dump_spec(spec)) == spec
    minimal = sp.loads_spec('[gcp]\nproject = "xwiz-sandbox"\n')
    assert sp.loads_spec(sp.dump_spec(minimal)) == minimal


def test_dump_keeps_foreign_partitions_as_arns():
    spec = sp.FederationSpec(sp.GcpSpec("xwiz-sandbox", "aws-pool"), aws_to_gcp=(
        sp.AwsToGcp("111122223333", "aws-cn", (AssumedRole("aws-cn", "111122223333", "app"),), partition="aws-cn"),))
    text = sp.dump_spec(spec)
    assert 'partition = "aws-cn"' in text and 'roles = ["app"]' in text
    assert sp.loads_spec(text) == spec


def test_load_spec_reads_a_file(tmp_path):
    path = tmp_path / "xwiz.toml"
    path.write_text(FULL)
    assert sp.load_spec(path) == sp.loads_spec(FULL)


def test_missing_file_and_bad_encoding(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        sp.load_spec(tmp_path / "nope.toml")
    with pytest.raises(InputError, match="directory"):
        sp.load_spec(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b'[gcp]\nproject = "\xff"\n')
    with pytest.raises(InputError, match=r"bad.toml:2: .*UTF-8"):
        sp.load_spec(bad)


def test_the_issue_example_line():
    text = FULL.replace('account_id = "444455556666"', 'account_id = "12345"')
    assert error(text) == ('xwiz.toml:26: aws_to_gcp[1].account_id: "12345" is not an AWS account ID; '
                           "expected 12 digits, e.g. 111122223333")


@pytest.mark.parametrize("old, new, expected", [
    ('pool = "aws-pool"', 'pool = "GCP-pool"', "xwiz.toml:6: gcp.pool: "),
    ('imdsv2 = true', 'imdvs2 = true', "xwiz.toml:21: aws_to_gcp[0].imdvs2: unknown key \"imdvs2\"; did you mean imdsv2?"),
    ('imdsv2 = true', 'imdsv2 = "yes"', "xwiz.toml:21: aws_to_gcp[0].imdsv2: \"yes\" is not true or false"),
    ('  "arn:aws:iam::111122223333:role/team/worker",', '  "arn:aws:iam::111122223333:user/worker",',
     "xwiz.toml:12: aws_to_gcp[0].roles[1]: \"arn:aws:iam::111122223333:user/worker\" is an IAM user"),
    ('token_lifetime = 3600', 'token_lifetime = 60', "xwiz.toml:22: aws_to_gcp[0].token_lifetime: 60 is out of range"),
    ('provider = "aws-second"', 'provider = "aws-workload"', "xwiz.toml:27: aws_to_gcp[1].provider: \"aws-workload\" is also used by aws_to_gcp[0]"),
    ('attribute_condition = "assertion', 'attribute_condition = "assertion.arn ==',
     "xwiz.toml:29: aws_to_gcp[1].attribute_condition: "),
    ('region = "us-east-1"', 'region = "us-east-1a"', "xwiz.toml:33: eks_to_gcp[0].region: "),
    ('kubernetes_service_accounts = ["apps/billing", "apps/reports"]', 'kubernetes_service_accounts = ["billing"]',
     "xwiz.toml:35: eks_to_gcp[0].kubernetes_service_accounts[0]: \"billing\" has no namespace"),
    ('role_name = "gcp-reader"', 'role_name = "team/gcp-reader"', "xwiz.toml:41: gcp_to_aws[0].role_name: "),
    ('session_duration = 3600', 'session_duration = 100', "xwiz.toml:45: gcp_to_aws[0].session_duration: "),
    ('version = 1', 'version = 2', "xwiz.toml:1: version: 2 is not a spec version"),
    ('[gcp]', 'gpc = 1\n[gcp]', "xwiz.toml:3: gpc: unknown key \"gpc\"; did you mean gcp?"),
    ('grant_roles = ["roles/storage.objectViewer"]', 'grant_roles = "roles/storage.objectViewer"',
     "xwiz.toml:19: aws_to_gcp[0].grant_roles: \"roles/storage.objectViewer\" is a string, not a list"),
    ('roles = [\n  "xwiz-ec2-app",', 'roles = [\n  "xwiz-ec2-app",\n  "xwiz-ec2-app",',
     "xwiz.toml:12: aws_to_gcp[0].roles: lists"),
])
def test_errors_name_line_field_and_expected_form(old, new, expected):
    assert old in FULL
    message = error(FULL.replace(old, new, 1))
    assert message.startswith(expected), message


def test_missing_required_fields():
    assert error('[gcp]\npool = "aws-pool"\n') == \
        ('xwiz.toml:1: gcp.project: is missing; expected a project ID: 6-30 lowercase letters, digits or hyphens, '
         'starting with a letter, e.g. my-project')
    assert error("version = 1\n").startswith("xwiz.toml: gcp: the [gcp] table is missing")
    text = '[gcp]\nproject = "xwiz-sandbox"\n\n[[aws_to_gcp]]\naccount_id = "111122223333"\nprovider = "p-one"\n' \
           'roles = ["a"]\n'
    assert error(text).startswith("xwiz.toml:1: gcp.pool: is missing")
    assert error(text.replace('roles = ["a"]', 'roles = []')).startswith("xwiz.toml:7: aws_to_gcp[0].roles: is empty")
    assert error(text.replace('roles = ["a"]\n', '')).startswith("xwiz.toml:4: aws_to_gcp[0].roles: is missing")


def test_eks_needs_cluster_and_region_or_issuer():
    text = FULL.replace('region = "us-east-1"\n', "")
    assert "eks_to_gcp[0].region: is missing; expected cluster and region" in error(text)
    text = FULL.replace('cluster = "xwiz-demo"\nregion = "us-east-1"\n',
                        'issuer = "https://oidc.eks.us-east-1.amazonaws.com/id/5F2C1A7E9B3D4C60A8E1F0B2D3C4A5B6/"\n')
    assert sp.loads_spec(text).eks_to_gcp[0].issuer.endswith("A5B6")


def test_grant_roles_need_a_service_account():
    text = FULL.replace('attribute_condition = "', 'grant_roles = ["roles/viewer"]\nattribute_condition = "')
    assert "aws_to_gcp[1].grant_roles: needs a service_account" in error(text)


def test_single_table_instead_of_array_of_tables():
    text = '[gcp]\nproject = "xwiz-sandbox"\n\n[aws_to_gcp]\naccount_id = "111122223333"\n'
    assert error(text) == ("xwiz.toml:4: aws_to_gcp: [aws_to_gcp] is a single table; "
                           "expected [[aws_to_gcp]] (an array of tables)")


def test_toml_syntax_errors_keep_line_and_column():
    assert error('[gcp]\nproject = "x\n').startswith("xwiz.toml:2:")
    assert error('[gcp]\nproject = = 1\n').startswith("xwiz.toml:2:11: TOML syntax error: ")


def test_keys_in_inline_and_dotted_forms_are_located():
    assert error('gcp.project = "x"\n').startswith('xwiz.toml:1: gcp.project: "x" is not a valid project ID')
    assert error('gcp = { project = "x" }\n').startswith("xwiz.toml:1: gcp.project")
    assert error('[gcp]\nproject = "xwiz-sandbox"\n[gcp.extra]\na = 1\n').startswith(
        'xwiz.toml:3: gcp.extra: unknown key "extra"')


def test_multiline_strings_and_arrays_do_not_confuse_the_line_scanner():
    text = FULL.replace('audit_logs = true', 'audit_logs = true\nattribute_condition = """\n'
                        'assertion.arn.startsWith("x") || \'gcp\' in\n[\'gcp\']\n"""')
    text = text.replace('provider = "aws-second"', 'provider = "BAD"')
    assert error(text).startswith("xwiz.toml:31: aws_to_gcp[1].provider")


def test_spec_from_flags_names_flags():
    spec = sp.spec_from_flags("aws-to-gcp", project="xwiz-sandbox", pool="aws-pool", account_id="111122223333",
                              provider="aws-workload", roles=("xwiz-ec2-app",), service_account=None,
                              imdsv2=True)
    assert spec.aws_to_gcp[0].roles[0].arn == "arn:aws:sts::111122223333:assumed-role/xwiz-ec2-app"
    with pytest.raises(InputError) as info:
        sp.spec_from_flags("aws-to-gcp", project="xwiz-sandbox", pool="aws-pool", account_id="1234",
                           provider="aws-workload", roles=("a",))
    assert str(info.value) == '--account-id: "1234" is not an AWS account ID; expected 12 digits, e.g. 111122223333'
    with pytest.raises(InputError, match="^--role-arn: "):
        sp.spec_from_flags("aws-to-gcp", project="xwiz-sandbox", pool="aws-pool", account_id="111122223333",
                           provider="aws-workload", roles=("arn:aws:iam::111122223333:user/x",))
    with pytest.raises(InputError, match="^--role-arn: is missing"):
        sp.spec_from_flags("aws-to-gcp", project="xwiz-sandbox", pool="aws-pool", account_id="111122223333",
                           provider="aws-workload", roles=())
    with pytest.raises(InputError, match="^--direction"):
        sp.spec_from_flags("sideways")
    eks = sp.spec_from_flags("eks-to-gcp", project="xwiz-sandbox", pool="aws-pool", cluster="xwiz-demo",
                             region="us-east-1", provider="eks-demo", kubernetes_service_accounts="apps/billing")
    assert eks.eks_to_gcp[0].kubernetes_service_accounts[0].subject == "system:serviceaccount:apps:billing"
    with pytest.raises(InputError, match="^--create-service-account: does not apply to --direction gcp-to-aws"):
        sp.spec_from_flags("gcp-to-aws", project="xwiz-sandbox", create_service_account=True)


def test_every_spec_field_has_a_flag():
    for section, keys in sp._KEYS.items():
        for key in keys:
            assert key in sp.FLAGS, (section, key)
