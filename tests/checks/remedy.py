"""Apply a remediation's commands the way a user would run them — gcloud, aws and xwiz commands,
interpreted here against the sandbox through the public APIs (googleapiclient via xwiz's adapter,
boto3, the engine) — so a test shows that the printed fix is the fix."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from wizard.model import credconfig

from .conftest import Doctor, apply_spec, services_for


class Remedy:
    def __init__(self, sandbox, doctor: Doctor, spec_path: Path | None, env: dict[str, str] | None = None) -> None:
        self.sb = sandbox
        self.doctor = doctor
        self.spec_path = spec_path
        self.services = services_for(sandbox)
        self.env: dict[str, str] = dict(env or {})
        self.doctor_args: list[str] = []

    # -- entry point -----------------------------------------------------------------------------
    def run(self, command: str) -> None:
        assert "<" not in command or "<(" in command, f"the command still has a placeholder: {command}"
        words = shlex.split(command)
        head = words[:2]
        if words[0] == "unset":
            for name in words[1:]:
                self.env.pop(name, None)
        elif words[0] == "export":
            name, _, value = words[1].partition("=")
            self.env[name] = value
        elif words[0] == "sudo":  # timedatectl set-ntp / chronyc makestep: the clock is fixed
            self.sb.set_knobs(clock_offset_s=0)
        elif head == ["xwiz", "apply"]:
            apply_spec(self.sb, self.spec_path.parent, self.spec_path.read_text(), force=True)
        elif head == ["xwiz", "doctor"]:
            self.doctor_args = words[2:]
        elif words[0] == "gcloud":
            self._gcloud(words[1:])
        elif words[0] == "aws":
            self._aws(words[1:])
        else:
            raise AssertionError(f"no interpreter for {command}")

    # -- gcloud --------------------------------------------------------------------------------------
    @staticmethod
    def _flags(words: list[str]) -> tuple[list[str], dict[str, Any]]:
        positional, flags = [], {}
        for w in words:
            if w.startswith("--no-"):
                flags[w[5:]] = False
            elif w.startswith("--"):
                name, eq, value = w[2:].partition("=")
                flags[name] = value if eq else True
            else:
                positional.append(w)
        return positional, flags

    def _gcloud(self, words: list[str]) -> None:
        gcp = self.services.gcp
        pos, flags = self._flags(words)
        project = flags.get("project")
        if pos[:2] == ["services", "enable"]:
            gcp.batch_enable_services(project, pos[2:])
        elif pos[:3] == ["iam", "service-accounts", "add-iam-policy-binding"]:
            policy = gcp.get_service_account_policy(pos[3])
            for b in policy.setdefault("bindings", []):
                if b["role"] == flags["role"]:
                    if flags["member"] not in b["members"]:
                        b["members"].append(flags["member"])
                    break
            else:
                policy["bindings"].append({"role": flags["role"], "members": [flags["member"]]})
            gcp.set_service_account_policy(pos[3], policy)
        elif pos[:3] == ["iam", "service-accounts", "remove-iam-policy-binding"]:
            policy = gcp.get_service_account_policy(pos[3])
            for b in policy.get("bindings", []):
                if b["role"] == flags["role"]:
                    b["members"] = [m for m in b["members"] if m != flags["member"]]
            policy["bindings"] = [b for b in policy.get("bindings", []) if b["members"]]
            gcp.set_service_account_policy(pos[3], policy)
        elif pos[:3] == ["iam", "service-accounts", "create"]:
            gcp.create_service_account(project, pos[3])
        elif pos[:3] == ["iam", "workload-identity-pools", "create-cred-config"]:
            self._cred_config(pos[3], flags)
        elif pos[:3] == ["iam", "workload-identity-pools", "providers"]:
            self._provider(pos[3], pos[4], flags)
        elif pos[:2] == ["iam", "workload-identity-pools"]:
            verb, pool = pos[2], pos[3]
            if verb == "undelete":
                gcp.undelete_pool(project, pool)
            elif verb == "update":
                gcp.patch_pool(project, pool, {"disabled": flags["disabled"]}, "disabled")
            elif verb == "create":
                gcp.create_pool(project, pool, {})
            else:
                raise AssertionError(verb)
        elif pos[:2] == ["projects", "describe"]:
            pass
        else:
            raise AssertionError(f"no interpreter for gcloud {' '.join(words)}")

    def _provider(self, verb: str, provider: str, flags: dict[str, Any]) -> None:
        gcp = self.services.gcp
        project, pool = flags["project"], flags["workload-identity-pool"]
        if verb == "undelete":
            gcp.undelete_provider(project, pool, provider)
            return
        body: dict[str, Any] = {}
        mask: list[str] = []
        if "disabled" in flags:
            body["disabled"] = flags["disabled"]
            mask.append("disabled")
        if "attribute-condition" in flags:
            body["attributeCondition"] = flags["attribute-condition"]
            mask.append("attributeCondition")
        if "attribute-mapping" in flags:
            body["attributeMapping"] = dict(kv.split("=", 1) for kv in flags["attribute-mapping"].split(","))
            mask.append("attributeMapping")
        if "account-id" in flags:
            body["aws"] = {"accountId": flags["account-id"]}
            mask.append("aws.accountId")
        if "issuer-uri" in flags:
            body.setdefault("oidc", {})["issuerUri"] = flags["issuer-uri"]
            mask.append("oidc.issuerUri")
        if "allowed-audiences" in flags:
            body.setdefault("oidc", {})["allowedAudiences"] = flags["allowed-audiences"].split(",")
            mask.append("oidc.allowedAudiences")
        if verb == "create-aws":
            gcp.create_provider(project, pool, provider, body)
        else:
            gcp.patch_provider(project, pool, provider, body, ",".join(mask))

    def _cred_config(self, audience: str, flags: dict[str, Any]) -> None:
        parts = audience.split("/")
        endpoints = credconfig.GoogleEndpoints.from_sandbox(self.sb.endpoints)
        config = credconfig.aws_credential_config(parts[1], parts[5], parts[7], flags.get("service-account"),
                                                  imdsv2=bool(flags.get("enable-imdsv2")), endpoints=endpoints)
        out = Path(flags["output-file"])
        (out if out.is_absolute() else self.doctor.directory / out).write_text(credconfig.render(config))

    # -- aws -----------------------------------------------------------------------------------------
    def _aws(self, words: list[str]) -> None:
        import boto3

        ep = self.sb.endpoints["aws"]
        iam = boto3.client("iam", endpoint_url=ep["endpoint_url"], region_name=ep["region"],
                           aws_access_key_id=ep["admin"]["access_key_id"],
                           aws_secret_access_key=ep["admin"]["secret_access_key"])
        pos, flags = [], {}
        it = iter(words)
        for w in it:
            if w.startswith("--"):
                flags[w[2:]] = next(it)
            else:
                pos.append(w)
        if pos == ["iam", "update-assume-role-policy"]:
            json.loads(flags["policy-document"])
            iam.update_assume_role_policy(RoleName=flags["role-name"], PolicyDocument=flags["policy-document"])
        elif pos == ["iam", "create-role"]:
            iam.create_role(RoleName=flags["role-name"], AssumeRolePolicyDocument=flags["assume-role-policy-document"])
        elif pos == ["iam", "delete-open-id-connect-provider"]:
            iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=flags["open-id-connect-provider-arn"])
        elif pos[:2] == ["sts", "get-caller-identity"]:
            pass
        else:
            raise AssertionError(f"no interpreter for aws {' '.join(words)}")
