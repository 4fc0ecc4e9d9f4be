"""The registry and the catalogue: stable, explicit, documented, and consistent with each other."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys

from checks import causes
from checks.registry import BY_ID, CHECKS

DESIGN_CODES = (
    "aws-credentials-missing aws-credentials-invalid imdsv2-required region-unresolved clock-skew api-disabled "
    "audience-malformed project-id-not-number pool-missing pool-disabled pool-deleted provider-missing "
    "provider-disabled provider-deleted provider-account-mismatch attribute-condition-rejects subject-too-long "
    "principal-not-arn principal-iam-role-arn principal-role-path principal-instance-session principal-malformed "
    "binding-missing binding-propagating service-account-missing oidc-issuer-mismatch oidc-audience-mismatch "
    "cred-config-invalid trust-policy-aud-is-azp trust-policy-sub-not-unique-id trust-policy-missing-sub "
    "trust-policy-not-google trust-policy-oidc-provider-for-google id-token-audience-mismatch role-missing").split()


def test_every_design_code_is_in_the_catalogue_with_a_command():
    for code in DESIGN_CODES:
        cause = causes.BY_CODE[code]
        assert cause.commands, code
        assert any(c.split()[0] in ("gcloud", "aws", "xwiz", "unset", "export", "sudo", "kubectl")
                   for c in cause.commands), code


def test_codes_are_kebab_case_unique_and_reported_by_some_check():
    codes = [c.code for c in causes.CAUSES]
    assert len(codes) == len(set(codes))
    reported = {code for c in CHECKS for code in c.causes}
    for code in codes:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", code)
        assert code in reported, f"no check reports {code}"
    assert reported <= set(codes), reported - set(codes)


def test_misconfig_references_are_catalogue_entries():
    for cause in causes.CAUSES:
        for m in cause.misconfigs:
            assert re.fullmatch(r"M(0[1-9]|[12][0-9]|3[0-4])", m), (cause.code, m)


def test_ids_are_module_paths_and_docstrings_explain():
    assert len(BY_ID) == len(CHECKS)
    for c in CHECKS:
        assert re.fullmatch(r"(config|aws_to_gcp|eks_to_gcp|gcp_to_aws)\.[a-z_]+", c.id)
        assert c.fn.__module__ == "checks." + c.id
        assert importlib.import_module("checks." + c.id)
        for section in ("What it checks", "Why it fails", "How to fix"):
            assert section in c.doc, (c.id, section)
        for r in c.requires:
            assert r in BY_ID and BY_ID[r].group in (c.group, "config"), (c.id, r)
            assert CHECKS.index(BY_ID[r]) < CHECKS.index(c), (c.id, r)


def test_importing_checks_registers_nothing_and_list_is_stable():
    code = "import checks, checks.spec; from checks.registry import CHECKS; print(len(CHECKS))"
    out = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
           for _ in range(2)]
    assert out[0] == out[1] and int(out[0]) == len(CHECKS)


def test_checks_import_no_sdk_at_import_time():
    code = ("import sys, json; import checks.registry; "
            "print(json.dumps([m for m in ('boto3','googleapiclient','google.auth','cel','textual') if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
