"""Credential configurations: gcloud's exact form, accepted by google-auth, and linted back."""

from __future__ import annotations

import json

import pytest
from google.auth import aws, identity_pool

from wizard.model import credconfig as cc
from wizard.model.errors import InputError

N, POOL = "615204081942", "aws-pool"
SA = "app-runner@xwiz-sandbox.iam.gserviceaccount.com"
AUDIENCE = f"//iam.googleapis.com/projects/{N}/locations/global/workloadIdentityPools/{POOL}/providers/aws-prod"

# What `gcloud iam workload-identity-pools create-cred-config <provider> --aws --enable-imdsv2
#   --service-account=SA --service-account-token-lifetime-seconds=1800` writes (cred_config.py).
GCLOUD_AWS = """{
  "universe_domain": "googleapis.com",
  "type": "external_account",
  "audience": "//iam.googleapis.com/projects/615204081942/locations/global/workloadIdentityPools/aws-pool/providers/aws-prod",
  "subject_token_type": "urn:ietf:params:aws:token-type:aws4_request",
  "token_url": "https://sts.googleapis.com/v1/token",
  "credential_source": {
    "environment_id": "aws1",
    "region_url": "http://169.254.169.254/latest/meta-data/placement/availability-zone",
    "url": "http://169.254.169.254/latest/meta-data/iam/security-credentials",
    "regional_cred_verification_url": "https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15",
    "imdsv2_session_token_url": "http://169.254.169.254/latest/api/token"
  },
  "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/app-runner@xwiz-sandbox.iam.gserviceaccount.com:generateAccessToken",
  "service_account_impersonation": {
    "token_lifetime_seconds": 1800
  }
}"""

GCLOUD_FILE = """{
  "universe_domain": "googleapis.com",
  "type": "external_account",
  "audience": "//iam.googleapis.com/projects/615204081942/locations/global/workloadIdentityPools/aws-pool/providers/eks-prod",
  "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
  "token_url": "https://sts.googleapis.com/v1/token",
  "credential_source": {
    "file": "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
    "format": {
      "type": "text"
    }
  },
  "token_info_url": "https://sts.googleapis.com/v1/introspect"
}"""

SANDBOX = cc.GoogleEndpoints(sts_token_url="http://127.0.0.1:4001/v1/token",
                             iamcredentials_base="http://127.0.0.1:4002/", universe_domain="xwiz.test",
                             imds_base="http://127.0.0.1:4003")


def test_aws_config_is_gcloud_text_and_key_order():
    config = cc.aws_credential_config(N, POOL, "aws-prod", SA, token_lifetime_s=1800)
    assert cc.render(config) == GCLOUD_AWS + "\n"
    expected = json.loads(GCLOUD_AWS)
    assert config == expected
    assert list(config) == list(expected)
    assert list(config["credential_source"]) == ["environment_id", "region_url", "url",
                                                 "regional_cred_verification_url", "imdsv2_session_token_url"]


def test_file_config_is_gcloud_text():
    config = cc.file_credential_config(N, POOL, "eks-prod")
    assert cc.render(config) == GCLOUD_FILE + "\n"
    assert list(config) == list(json.loads(GCLOUD_FILE))


def test_imdsv2_is_on_by_default_and_can_be_turned_off():
    assert "imdsv2_session_token_url" in cc.aws_credential_config(N, POOL, "aws-prod")["credential_source"]
    assert "imdsv2_session_token_url" not in cc.aws_credential_config(N, POOL, "aws-prod", imdsv2=False)[
        "credential_source"]


def test_no_service_account_means_token_info_url_and_no_lifetime():
    config = cc.aws_credential_config(N, POOL, "aws-prod")
    assert config["token_info_url"] == "https://sts.googleapis.com/v1/introspect"
    assert "service_account_impersonation_url" not in config
    with pytest.raises(InputError, match="token_lifetime"):
        cc.aws_credential_config(N, POOL, "aws-prod", token_lifetime_s=1800)


def test_lifetime_is_only_written_when_set_and_validated():
    assert "service_account_impersonation" not in cc.aws_credential_config(N, POOL, "aws-prod", SA)
    for bad in (599, 43201):
        with pytest.raises(InputError, match="600 to 43200"):
            cc.aws_credential_config(N, POOL, "aws-prod", SA, token_lifetime_s=bad)


def test_bad_inputs_are_input_errors():
    with pytest.raises(InputError, match="project NUMBER"):
        cc.aws_credential_config("xwiz-sandbox", POOL, "aws-prod")
    with pytest.raises(InputError):
        cc.aws_credential_config(N, POOL, "aws-prod", "not-an-email")
    with pytest.raises(InputError):
        cc.file_credential_config(N, POOL, "eks-prod", format_type="json")


def test_sandbox_endpoints():
    config = cc.aws_credential_config(N, POOL, "aws-prod", SA, endpoints=SANDBOX)
    assert config["universe_domain"] == "xwiz.test"
    assert config["token_url"] == "http://127.0.0.1:4001/v1/token"
    assert config["service_account_impersonation_url"] == (
        f"http://127.0.0.1:4002/v1/projects/-/serviceAccounts/{SA}:generateAccessToken")
    assert config["credential_source"]["url"] == "http://127.0.0.1:4003/latest/meta-data/iam/security-credentials"
    # The verification URL stays real https: google-auth refuses anything else (cloud-facts §4.3).
    assert config["credential_source"]["regional_cred_verification_url"] == cc.AWS_VERIFICATION_URL
    assert cc.GoogleEndpoints.from_sandbox({
        "gcp": {"sts_token_url": "http://127.0.0.1:4001/v1/token", "iamcredentials": "http://127.0.0.1:4002/",
                "universe_domain": "xwiz.test"},
        "aws": {"imds_url": "http://127.0.0.1:4003"}}) == SANDBOX
    assert SANDBOX.token_info_url == "http://127.0.0.1:4001/v1/introspect"


def test_for_universe():
    e = cc.GoogleEndpoints.for_universe("example.test")
    assert e.sts_token_url == "https://sts.example.test/v1/token"
    assert e.impersonation_url(SA).startswith("https://iamcredentials.example.test/v1/")


@pytest.mark.parametrize("endpoints", [cc.DEFAULT_ENDPOINTS, SANDBOX])
@pytest.mark.parametrize("service_account, lifetime", [(None, None), (SA, None), (SA, 3600)])
def test_google_auth_accepts_the_configs(endpoints, service_account, lifetime):
    aws_cfg = cc.aws_credential_config(N, POOL, "aws-prod", service_account, token_lifetime_s=lifetime,
                                       endpoints=endpoints)
    creds = aws.Credentials.from_info(aws_cfg, scopes=["https://www.googleapis.com/auth/cloud-platform"])
    assert creds.universe_domain == endpoints.universe_domain
    assert creds.service_account_email == service_account
    file_cfg = cc.file_credential_config(N, POOL, "eks-prod", service_account, token_lifetime_s=lifetime,
                                         endpoints=endpoints)
    identity_pool.Credentials.from_info(file_cfg)


def test_config_holds_no_secret():
    text = cc.render(cc.aws_credential_config(N, POOL, "aws-prod", SA))
    for word in ("secret", "private_key", "client_secret", "AccessKeyId", '"Token"'):
        assert word not in text


# -------------------------------------------------------------------------------------------- lint
def lint_codes(config, **kw):
    return [(f.code, f.field) for f in cc.lint_credential_config(config, **kw)]


def test_lint_clean_configs():
    assert cc.lint_credential_config(json.loads(GCLOUD_AWS)) == []
    assert cc.lint_credential_config(json.loads(GCLOUD_FILE)) == []
    sandbox_cfg = cc.aws_credential_config(N, POOL, "aws-prod", SA, endpoints=SANDBOX)
    assert cc.lint_credential_config(sandbox_cfg, expected=sandbox_cfg, endpoints=SANDBOX) == []


def test_lint_accepts_older_gcloud_layout_without_universe_domain():
    config = json.loads(GCLOUD_AWS)
    del config["universe_domain"]
    assert cc.lint_credential_config(config) == []


def test_lint_audience_forms():
    config = json.loads(GCLOUD_AWS)
    config["audience"] = AUDIENCE.replace("//", "https://", 1)
    (finding,) = cc.lint_credential_config(config)
    assert (finding.code, finding.misconfig, finding.fix) == ("audience-malformed", "M05", AUDIENCE)
    config["audience"] = AUDIENCE.replace(N, "xwiz-sandbox")
    assert lint_codes(config) == [("project-id-not-number", "audience")]
    config["audience"] = AUDIENCE.rsplit("/providers/", 1)[0]
    assert lint_codes(config) == [("audience-malformed", "audience")]


def test_lint_m13_missing_imdsv2_is_a_warning():
    config = cc.aws_credential_config(N, POOL, "aws-prod", imdsv2=False)
    (finding,) = cc.lint_credential_config(config)
    assert (finding.code, finding.misconfig, finding.severity) == ("cred-config-imdsv2-missing", "M13", "warn")
    assert finding.fix == "http://169.254.169.254/latest/api/token"


def test_lint_m34_workforce_key_and_other_problems():
    config = json.loads(GCLOUD_AWS)
    config["workforce_pool_user_project"] = "my-project"
    config["credential_source"]["environment_id"] = "aws2"
    config["credential_source"]["regional_cred_verification_url"] = "http://sts.amazonaws.com"
    config["credential_source"]["region_url"] = "http://169.254.169.21/latest/meta-data/placement/availability-zone"
    config["service_account_impersonation_url"] = "https://iamcredentials.googleapis.com/v1/serviceAccounts/x"
    config["service_account_impersonation"] = {"token_lifetime_seconds": 50}
    config["tokenurl"] = "x"
    found = {(f.field, f.misconfig) for f in cc.lint_credential_config(config)}
    assert ("workforce_pool_user_project", "M34") in found
    assert ("credential_source.environment_id", None) in found
    assert ("credential_source.regional_cred_verification_url", "M16") in found
    assert ("credential_source.region_url", "M33") in found
    assert ("service_account_impersonation_url", "M33") in found
    assert ("service_account_impersonation.token_lifetime_seconds", None) in found
    assert ("tokenurl", None) in found


def test_lint_against_expected_reports_each_difference():
    expected = cc.aws_credential_config(N, POOL, "aws-prod", SA)
    config = cc.aws_credential_config(N, POOL, "aws-other", SA)
    findings = cc.lint_credential_config(config, expected=expected)
    assert [(f.field, f.fix) for f in findings] == [("audience", AUDIENCE)]


def test_lint_file_source_problems():
    config = json.loads(GCLOUD_FILE)
    config["credential_source"]["environment_id"] = "aws1"
    config["credential_source"]["format"] = {"type": "json"}
    fields = [f.field for f in cc.lint_credential_config(config)]
    assert "credential_source.environment_id" in fields
    assert "credential_source.format.subject_token_field_name" in fields


@pytest.mark.parametrize("junk", [None, [], "x", 1, {"credential_source": "x"}, {"type": "service_account"}])
def test_lint_never_raises(junk):
    assert cc.lint_credential_config(junk)
