"""The AWS side of `[[gcp_to_aws]]` as CloudFormation (with the StackSets commands that roll it out
to an organisation) or Terraform, for teams whose AWS changes go through infrastructure as code.

Pure text generation. The trust statements come from `trustpolicy.build_statement`, built with
placeholder values that are then swapped for template parameters / Terraform variables, so the
exported policy is exactly what `xwiz apply` would write (and never holds the aud trap). Unlike
`xwiz apply`, a template owns the whole role: it cannot merge into a role that already exists.
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any, Iterable, Mapping

from wizard.model import trustpolicy as tp
from wizard.model.spec import FederationSpec, GcpToAws

DEFAULT_STACK_SET = "xwiz-gcp-to-aws"
DEFAULT_TEMPLATE_FILE = "xwiz-gcp-to-aws.yaml"
DEFAULT_MAX_SESSION_S = 3600
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _groups(spec: FederationSpec) -> dict[tuple[str, str], list[GcpToAws]]:
    out: dict[tuple[str, str], list[GcpToAws]] = {}
    for entry in spec.gcp_to_aws:
        out.setdefault((entry.account_id, entry.role_name), []).append(entry)
    return out


def _camel(text: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", text) if p) or "Role"


def _snake(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "role"


def _placeholder_uid(n: int) -> str:
    return f"9{n:020d}"  # digits, so build_statement accepts it; never a real uniqueId's shape clash


def _placeholder_audience(n: int) -> str:
    return f"xwiz-placeholder-audience-{n}"


def _substitute(value: Any, mapping: Mapping[str, Any]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, mapping) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, mapping) for v in value]
    if isinstance(value, str) and value in mapping:
        return mapping[value]
    return value


def _statement_with(n: int) -> dict:
    """xwiz's statement from the model, with placeholders where the parameters go."""
    return tp.build_statement(_placeholder_uid(n), _placeholder_audience(n))


def _check(policy: dict, unique_ids: Mapping[str, str], entries: list[GcpToAws]) -> None:
    """The exported policy with real values must pass the same lint as `xwiz apply`."""
    statements = [tp.build_statement(unique_ids.get(e.service_account) or _placeholder_uid(i), e.audience)
                  for i, e in enumerate(entries)]
    concrete = {"Version": policy["Version"], "Statement": statements}
    traps = [f for f in tp.lint(concrete) if f.code == "trust-policy-aud-is-azp"]
    if traps:  # cannot happen with build_statement; a guard, as in the engine
        raise tp.TrustPolicyError(f"refusing to export a trust policy with the aud trap: {traps[0].summary}")


# ---------------------------------------------------------------------------------------------- CloudFormation


def _yaml_scalar(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(str(value))  # a JSON string is a valid YAML double-quoted scalar


def _yaml_key(key: str) -> str:
    return key if _PLAIN_KEY.fullmatch(key) else json.dumps(key)


def _yaml(value: Any, indent: int = 0) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{_yaml_key(key)}:")
                lines += _yaml(item, indent + 2)
            elif isinstance(item, (dict, list)):
                lines.append(f"{pad}{_yaml_key(key)}: {'{}' if isinstance(item, dict) else '[]'}")
            else:
                lines.append(f"{pad}{_yaml_key(key)}: {_yaml_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                inner = _yaml(item, indent + 2)
                inner[0] = f"{pad}- {inner[0][indent + 2:]}"
                lines += inner
            else:
                lines.append(f"{pad}- {_yaml_scalar(item) if not isinstance(item, (dict, list)) else '{}'}")
    else:
        lines.append(pad + _yaml_scalar(value))
    return lines


def cloudformation_template(spec: FederationSpec, unique_ids: Mapping[str, str] | None = None
                            ) -> tuple[dict, dict[str, str]]:
    """(the template as a dict, {parameter name: value to pass}) for every `[[gcp_to_aws]]` role."""
    unique_ids = unique_ids or {}
    parameters: dict[str, Any] = {}
    values: dict[str, str] = {}
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    conditions: dict[str, Any] = {}
    groups = _groups(spec)
    multi_account = len({account for account, _ in groups}) > 1
    for (account_id, role_name), entries in groups.items():
        # One account: the template makes the role wherever it is deployed (StackSets roll it out).
        # Several: each role only in its own account, so one template serves them all.
        logical = _camel(role_name) + (account_id if multi_account else "")
        statements = []
        for n, entry in enumerate(entries):
            prefix = logical + (_camel(entry.service_account.split("@")[0]) if len(entries) > 1 else "")
            uid_param, aud_param = f"{prefix}ServiceAccountUniqueId", f"{prefix}Audience"
            uid = unique_ids.get(entry.service_account)
            parameters[uid_param] = {
                "Type": "String", "AllowedPattern": "[0-9]{1,30}",
                "Description": f"uniqueId of {entry.service_account} (gcloud iam service-accounts describe "
                               f"{entry.service_account} --format='value(uniqueId)')"}
            if uid:
                parameters[uid_param]["Default"] = uid
            parameters[aud_param] = {"Type": "String", "Default": entry.audience, "MinLength": 1,
                                     "Description": "audience the workload requests its Google ID token for "
                                                    "(accounts.google.com:oaud)"}
            values[uid_param] = uid or f"<uniqueId of {entry.service_account}>"
            values[aud_param] = entry.audience
            statement = _statement_with(n)
            statements.append(_substitute(statement, {
                _placeholder_uid(n): {"Ref": uid_param},
                _placeholder_audience(n): {"Ref": aud_param},
                statement["Sid"]: {"Fn::Sub": f"{tp.SID_PREFIX}${{{uid_param}}}"},
            }))
        policy = {"Version": tp.DEFAULT_VERSION, "Statement": statements}
        _check(policy, unique_ids, entries)
        who = ", ".join(e.service_account for e in entries)
        properties: dict[str, Any] = {
            "RoleName": role_name,
            "Description": f"Assumed by Google Cloud {who} (xwiz)"[:1000],
            "MaxSessionDuration": max([DEFAULT_MAX_SESSION_S, *(e.session_duration or 0 for e in entries)]),
            "AssumeRolePolicyDocument": policy,
            "Tags": [{"Key": "created-by", "Value": "xwiz"}],
        }
        policies = []
        for e in entries:
            policies += [p for p in e.policies if p not in policies]
        if policies:
            properties["ManagedPolicyArns"] = policies
        resources[f"{logical}Role"] = {"Type": "AWS::IAM::Role", "Properties": properties}
        outputs[f"{logical}RoleArn"] = {"Description": f"ARN of {role_name}",
                                        "Value": {"Fn::GetAtt": [f"{logical}Role", "Arn"]}}
        if multi_account:
            condition = f"InAccount{account_id}"
            conditions[condition] = {"Fn::Equals": [{"Ref": "AWS::AccountId"}, account_id]}
            resources[f"{logical}Role"]["Condition"] = condition
            outputs[f"{logical}RoleArn"]["Condition"] = condition
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "IAM role(s) that Google Cloud service accounts assume with their ID tokens (xwiz)",
        "Parameters": parameters,
        **({"Conditions": conditions} if conditions else {}),
        "Resources": resources,
        "Outputs": outputs,
    }
    return template, values


def stack_set_commands(values: Mapping[str, str], *, stack_set_name: str = DEFAULT_STACK_SET,
                       template_file: str = DEFAULT_TEMPLATE_FILE,
                       organizational_units: Iterable[str] = (), regions: Iterable[str] = ("us-east-1",)
                       ) -> list[list[str]]:
    """The aws CLI commands (argv lists): deploy to one account, or StackSets to organisational units."""
    ous = list(organizational_units) or ["ou-xxxx-xxxxxxxx"]
    regions = list(regions) or ["us-east-1"]
    overrides = [f"{k}={v}" for k, v in values.items()]
    parameters = [f"ParameterKey={k},ParameterValue={v.replace(',', chr(92) + ',')}" for k, v in values.items()]
    return [
        ["aws", "cloudformation", "deploy", "--stack-name", stack_set_name, "--template-file", template_file,
         "--capabilities", "CAPABILITY_NAMED_IAM", "--parameter-overrides", *overrides],
        ["aws", "cloudformation", "create-stack-set", "--stack-set-name", stack_set_name,
         "--template-body", f"file://{template_file}", "--capabilities", "CAPABILITY_NAMED_IAM",
         "--permission-model", "SERVICE_MANAGED",
         "--auto-deployment", "Enabled=true,RetainStacksOnAccountRemoval=false", "--parameters", *parameters],
        ["aws", "cloudformation", "create-stack-instances", "--stack-set-name", stack_set_name,
         "--deployment-targets", "OrganizationalUnitIds=" + ",".join(ous), "--regions", *regions],
    ]


def _shell(argv: list[str]) -> str:
    words = [shlex.quote(a) for a in argv]
    lines, current = [], ""
    for word in words:
        if current and len(current) + len(word) > 100 and word.startswith("--"):
            lines.append(current + " \\")
            current = "    " + word
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return "\n".join(lines)


def export_cloudformation(spec: FederationSpec, *, unique_ids: Mapping[str, str] | None = None,
                          organizational_units: Iterable[str] = (), regions: Iterable[str] = ("us-east-1",),
                          stack_set_name: str = DEFAULT_STACK_SET, template_file: str = DEFAULT_TEMPLATE_FILE) -> str:
    """A CloudFormation YAML template for the `[[gcp_to_aws]]` roles, with the commands that deploy it
    (one account, or every account of organisational units through StackSets) as its header comments."""
    if not spec.gcp_to_aws:
        return "# xwiz.toml has no [[gcp_to_aws]] entry: there is no AWS role to export.\n"
    template, values = cloudformation_template(spec, unique_ids)
    commands = stack_set_commands(values, stack_set_name=stack_set_name, template_file=template_file,
                                  organizational_units=organizational_units, regions=regions)
    header = [
        f"# {template_file} — written by `xwiz export --format cloudformation`.",
        "# The role(s) trust Google ID tokens with AWS's key mapping: accounts.google.com:aud = the service",
        "# account's uniqueId (the token's azp), :oaud = the audience, :sub = the uniqueId.",
        "# A stack creates the role; it cannot merge into an existing role's trust policy (use `xwiz apply`).",
        "#",
        "# One account:",
        *("#   " + line for line in _shell(commands[0]).splitlines()),
        "#",
        "# Every account of an organisation (run in the management account; IAM is global, so one region):",
        *("#   " + line for line in _shell(commands[1]).splitlines()),
        *("#   " + line for line in _shell(commands[2]).splitlines()),
        "",
    ]
    return "\n".join(header + _yaml(template)) + "\n"


# ---------------------------------------------------------------------------------------------- Terraform


def _hcl_string(value: str) -> str:
    return json.dumps(value).replace("${", "$${").replace("%{", "%%{")


def export_terraform_aws(spec: FederationSpec, *, unique_ids: Mapping[str, str] | None = None) -> str:
    """`aws_iam_role` + `aws_iam_role_policy_attachment` for every `[[gcp_to_aws]]` role, with variables
    for the service accounts' uniqueIds and the audiences."""
    if not spec.gcp_to_aws:
        return ""
    unique_ids = unique_ids or {}
    groups = _groups(spec)
    accounts = sorted({account for account, _ in groups})
    out: list[str] = ["# AWS side of [[gcp_to_aws]] (xwiz). A role's trust policy is owned by this resource:",
                      "# it replaces, not merges, what an existing role has (use `xwiz apply` to merge).", ""]
    if len(accounts) > 1:
        for account in accounts:
            out += [f'provider "aws" {{', f'  alias               = "account_{account}"',
                    f'  allowed_account_ids = ["{account}"]',
                    f'  # assume_role {{ role_arn = "arn:aws:iam::{account}:role/OrganizationAccountAccessRole" }}',
                    "}", ""]
    for (account_id, role_name), entries in groups.items():
        name = _snake(role_name) + (f"_{account_id}" if len(accounts) > 1 else "")
        mapping: dict[str, str] = {}
        for n, entry in enumerate(entries):
            prefix = name + (f"_{_snake(entry.service_account.split('@')[0])}" if len(entries) > 1 else "")
            uid_var, aud_var = f"{prefix}_service_account_unique_id", f"{prefix}_audience"
            uid = unique_ids.get(entry.service_account)
            out += [f'variable "{uid_var}" {{', "  type        = string",
                    f"  description = {_hcl_string('uniqueId of ' + entry.service_account)}"]
            if uid:
                out.append(f"  default     = {_hcl_string(uid)}")
            out += ["  validation {", f'    condition     = can(regex("^[0-9]{{1,30}}$", var.{uid_var}))',
                    '    error_message = "A service account uniqueId is 1-30 digits (usually 21)."', "  }", "}", "",
                    f'variable "{aud_var}" {{', "  type        = string",
                    f"  default     = {_hcl_string(entry.audience)}",
                    '  description = "Audience of the Google ID token (accounts.google.com:oaud)"', "}", ""]
            statement = _statement_with(n)
            mapping[json.dumps(_placeholder_uid(n))] = f"var.{uid_var}"
            mapping[json.dumps(_placeholder_audience(n))] = f"var.{aud_var}"
            mapping[json.dumps(statement["Sid"])] = f'"{tp.SID_PREFIX}${{var.{uid_var}}}"'
        policy = {"Version": tp.DEFAULT_VERSION, "Statement": [_statement_with(n) for n in range(len(entries))]}
        _check(policy, unique_ids, entries)
        body = json.dumps(policy, indent=2).replace("${", "$${").replace("%{", "%%{")
        for placeholder, expression in mapping.items():
            body = body.replace(placeholder, expression)
        body = "\n".join("  " + line if i else line for i, line in enumerate(body.splitlines()))
        provider = [f"  provider             = aws.account_{account_id}"] if len(accounts) > 1 else []
        who = ", ".join(e.service_account for e in entries)
        max_session = max([DEFAULT_MAX_SESSION_S, *(e.session_duration or 0 for e in entries)])
        out += [f'resource "aws_iam_role" "{name}" {{', *provider,
                f"  name                 = {_hcl_string(role_name)}",
                f"  description          = {_hcl_string(f'Assumed by Google Cloud {who} (xwiz)'[:1000])}",
                f"  max_session_duration = {max_session}",
                f"  assume_role_policy   = jsonencode({body})",
                '  tags                 = { "created-by" = "xwiz" }', "}", ""]
        policies: list[str] = []
        for e in entries:
            policies += [p for p in e.policies if p not in policies]
        for i, arn in enumerate(policies):
            out += [f'resource "aws_iam_role_policy_attachment" "{name}_{i}" {{', *provider,
                    f"  role                 = aws_iam_role.{name}.name",
                    f"  policy_arn           = {_hcl_string(arn)}", "}", ""]
    return "\n".join(out)


def unique_ids_for(spec: FederationSpec, services: Any) -> dict[str, str]:
    """The service accounts' uniqueIds, read from IAM (an unreadable one is left to the parameter)."""
    from wizard.model.errors import CloudError

    out: dict[str, str] = {}
    for email in sorted({e.service_account for e in spec.gcp_to_aws}):
        try:
            sa = services.gcp.get_service_account(email)
        except CloudError:
            continue
        if sa and sa.get("uniqueId"):
            out[email] = sa["uniqueId"]
    return out
