"""`xwiz export --format cloudformation` and the AWS side of `--format terraform`."""

from __future__ import annotations

import json
import re

import boto3
import yaml
from botocore import UNSIGNED
from botocore.config import Config
from click.testing import CliRunner

from wizard.cli.main import cli
from wizard.engine.export_aws import export_cloudformation, export_terraform_aws
from wizard.model import trustpolicy as tp

from .conftest import ACCOUNT, AUDIENCE, SECOND, WORKLOAD_SA, enable_apis, entry, spec_of, spec_text, unique_id

UID = "104215123456789012345"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


def resolve(value, parameters):
    """CloudFormation's Ref / Fn::Sub, enough for the exported template."""
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return parameters[value["Ref"]]
        if set(value) == {"Fn::Sub"}:
            return re.sub(r"\$\{(\w+)\}", lambda m: parameters[m.group(1)], value["Fn::Sub"])
        return {k: resolve(v, parameters) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, parameters) for v in value]
    return value


def test_cloudformation_template_holds_the_models_trust_policy():
    spec = spec_of(entry(policies=(READ_ONLY,), session_duration=7200))
    text = export_cloudformation(spec, unique_ids={WORKLOAD_SA: UID}, organizational_units=["ou-ab12-cdef3456"],
                                 regions=["eu-west-1"])
    template = yaml.safe_load(text)
    role = template["Resources"]["GcpAppRole"]
    assert role["Type"] == "AWS::IAM::Role"
    props = role["Properties"]
    assert props["RoleName"] == "gcp-app" and props["ManagedPolicyArns"] == [READ_ONLY]
    assert props["MaxSessionDuration"] == 7200
    params = {k: v["Default"] for k, v in template["Parameters"].items()}
    assert params == {"GcpAppServiceAccountUniqueId": UID, "GcpAppAudience": AUDIENCE}
    assert resolve(props["AssumeRolePolicyDocument"], params) == tp.build_policy(UID, AUDIENCE)
    assert tp.lint(resolve(props["AssumeRolePolicyDocument"], params), unique_id=UID, audience=AUDIENCE) == []

    commands = [line for line in text.splitlines() if line.startswith("#")]
    joined = " ".join(line.lstrip("# ").rstrip("\\") for line in commands)
    assert "aws cloudformation create-stack-set --stack-set-name xwiz-gcp-to-aws" in joined
    assert "--permission-model SERVICE_MANAGED" in joined and "--capabilities CAPABILITY_NAMED_IAM" in joined
    assert ("aws cloudformation create-stack-instances --stack-set-name xwiz-gcp-to-aws "
            "--deployment-targets OrganizationalUnitIds=ou-ab12-cdef3456") in joined
    assert "--regions eu-west-1" in joined


def test_roles_of_several_accounts_each_only_in_their_account():
    spec = spec_of(entry(), entry(account_id=SECOND, profile="second"))
    template = yaml.safe_load(export_cloudformation(spec))
    assert set(template["Resources"]) == {f"GcpApp{ACCOUNT}Role", f"GcpApp{SECOND}Role"}
    assert template["Conditions"][f"InAccount{SECOND}"] == {"Fn::Equals": [{"Ref": "AWS::AccountId"}, SECOND]}
    assert "Default" not in template["Parameters"][f"GcpApp{ACCOUNT}ServiceAccountUniqueId"]  # unknown: required


def test_exported_template_deploys_and_the_role_can_be_assumed(sandbox, workload_env):
    """The template through CloudFormation (moto, behind the sandbox's front), then the real exchange."""
    uid = unique_id(sandbox)
    text = export_cloudformation(spec_of(entry()), unique_ids={WORKLOAD_SA: uid})
    ep = sandbox.endpoints["aws"]
    kw = dict(endpoint_url=ep["endpoint_url"], region_name="us-east-1",
              aws_access_key_id=ep["admin"]["access_key_id"], aws_secret_access_key=ep["admin"]["secret_access_key"])
    boto3.client("cloudformation", **kw).create_stack(StackName="xwiz-gcp-to-aws", TemplateBody=text,
                                                      Capabilities=["CAPABILITY_NAMED_IAM"])
    doc = boto3.client("iam", **kw).get_role(RoleName="gcp-app")["Role"]["AssumeRolePolicyDocument"]
    assert (json.loads(doc) if isinstance(doc, str) else doc) == tp.build_policy(uid, AUDIENCE)
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=ep["endpoint_url"],
                       config=Config(signature_version=UNSIGNED))
    out = sts.assume_role_with_web_identity(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/gcp-app", RoleSessionName="cfn",
                                            WebIdentityToken=sandbox.mint_google_id_token(WORKLOAD_SA, AUDIENCE))
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/gcp-app/cfn"


def _terraform_policy(text: str, variables: dict[str, str]) -> dict:
    body = text.split("assume_role_policy   = jsonencode(", 1)[1].split(")\n  tags", 1)[0]
    body = re.sub(r'"XwizGoogleFederation\$\{var\.(\w+)\}"', lambda m: json.dumps(tp.SID_PREFIX + variables[m.group(1)]),
                  body)
    body = re.sub(r"var\.(\w+)", lambda m: json.dumps(variables[m.group(1)]), body)
    return json.loads(body.replace("$${", "${").replace("%%{", "%{"))


def test_terraform_role_and_attachments():
    spec = spec_of(entry(policies=(READ_ONLY, "arn:aws:iam::aws:policy/AdministratorAccess"), audience="a%{b}"))
    text = export_terraform_aws(spec, unique_ids={WORKLOAD_SA: UID})
    assert 'resource "aws_iam_role" "gcp_app" {' in text
    assert text.count('resource "aws_iam_role_policy_attachment"') == 2
    assert f'policy_arn           = "{READ_ONLY}"' in text
    assert 'default     = "a%%{b}"' in text  # no accidental Terraform template directive
    policy = _terraform_policy(text, {"gcp_app_service_account_unique_id": UID, "gcp_app_audience": "a%{b}"})
    assert policy == tp.build_policy(UID, "a%{b}")
    assert "provider" not in text.split("resource", 1)[1].split("}", 1)[0]  # one account: the default provider


def test_cli_export_cloudformation_fills_in_the_unique_id(sandbox, workload_env, tmp_path):
    enable_apis(sandbox)
    spec_file = tmp_path / "xwiz.toml"
    spec_file.write_text(spec_text(entry(policies=(READ_ONLY,))))
    result = CliRunner().invoke(cli, ["export", "--format", "cloudformation", "-f", str(spec_file),
                                      "--sandbox-file", str(sandbox.endpoints_path)])
    assert result.exit_code == 0, result.output
    template = yaml.safe_load(result.output)
    assert template["Parameters"]["GcpAppServiceAccountUniqueId"]["Default"] == unique_id(sandbox)
