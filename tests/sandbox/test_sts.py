"""The emulated Google STS token exchange, driven by real google-auth (and googleapiclient) clients."""

from __future__ import annotations

import json
import urllib.parse

import pytest
import requests
from google.auth import aws, exceptions
from google.auth.transport.requests import Request

from wizard.sandbox import identities as ids
from wizard.sandbox.errors_google import StsError
from wizard.sandbox.google import sts_aws
from wizard.sandbox.keys import SigningKey

from .federation import (AWS_TOKEN_TYPE, CLOUD_PLATFORM, JWT_TOKEN_TYPE, NUMBER, SECOND_ACCOUNT, WORKLOAD_ACCOUNT,
                         add_provider, audience, aws_credentials, aws_front_present, aws_identity, enable,
                         oidc_credentials, project, raw_body)

__all__ = ["aws_identity"]  # a fixture

S1 = {"error": "unauthorized_client", "error_description": "The given credential is rejected by the attribute condition."}
S2 = {"error": "invalid_request", "error_description": 'Invalid value for "audience". This value should be the full '
      "resource name of the Identity Provider. See https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/"
      "token for the list of possible formats."}
S3 = {"error": "invalid_target", "error_description": 'The target service indicated by the "audience" parameters is '
      "invalid. This might either be because the pool or provider is disabled or deleted or because it doesn't exist."}
S14 = {"error": "invalid_grant", "error_description": "Error connecting to the given credential's issuer."}
EKS_AUD = audience("eks-pool", "eks-prov")


def post_token(sb, **fields) -> requests.Response:
    form = {"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "requested_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "scope": CLOUD_PLATFORM, "audience": audience(), "subject_token_type": AWS_TOKEN_TYPE,
            "subject_token": "x"}
    form.update({k: v for k, v in fields.items() if v is not None})
    for k in [k for k, v in fields.items() if v is None]:
        form.pop(k)
    return requests.post(sb.endpoints["gcp"]["sts_token_url"], data=form, timeout=10)


# -- AWS subject tokens ---------------------------------------------------------------------------
def test_aws_supplier_gets_federated_token(sandbox, aws_identity):
    enable(sandbox)
    add_provider(sandbox, aws_account=WORKLOAD_ACCOUNT)
    me = aws_identity()
    creds = aws_credentials(sandbox, me.creds)
    creds.refresh(Request())
    info = sandbox.google_auth.lookup(creds.token)
    assert info.kind == "federated"
    assert info.principal.subject == me.arn
    assert dict(info.principal.attributes)["aws_role"] == me.role_arn
    assert info.scopes == (CLOUD_PLATFORM,)


def test_aws_credential_source_with_environment_keys(sandbox, aws_identity, monkeypatch):
    enable(sandbox)
    add_provider(sandbox, aws_account=WORKLOAD_ACCOUNT)
    me = aws_identity()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", me.creds.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", me.creds.secret_access_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", me.creds.session_token)
    monkeypatch.setenv("AWS_REGION", ids.AWS_REGION)
    ep = sandbox.endpoints["gcp"]
    info = {"type": "external_account", "audience": audience(), "subject_token_type": AWS_TOKEN_TYPE,
            "token_url": ep["sts_token_url"], "universe_domain": ids.UNIVERSE_DOMAIN,
            "credential_source": {"environment_id": "aws1", "regional_cred_verification_url":
                                  "https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15"}}
    creds = aws.Credentials.from_info(info, scopes=[CLOUD_PLATFORM])
    creds.refresh(Request())
    assert sandbox.google_auth.lookup(creds.token).principal.subject == me.arn


def test_condition_false_is_s1(sandbox, aws_identity):
    enable(sandbox)
    add_provider(sandbox, aws_account=WORKLOAD_ACCOUNT,
                 condition="attribute.aws_role == 'arn:aws:sts::111122223333:assumed-role/someone-else'")
    with pytest.raises(exceptions.OAuthError) as e:
        aws_credentials(sandbox, aws_identity().creds).refresh(Request())
    assert raw_body(e) == S1
    assert "Error code unauthorized_client" in e.value.args[0]


def test_condition_true_admits(sandbox, aws_identity):
    enable(sandbox)
    me = aws_identity()
    add_provider(sandbox, aws_account=WORKLOAD_ACCOUNT, condition=f"attribute.aws_role == '{me.role_arn}'")
    creds = aws_credentials(sandbox, me.creds)
    creds.refresh(Request())
    assert creds.token


def test_condition_on_unmapped_attribute_rejects(sandbox, aws_identity):
    enable(sandbox)
    add_provider(sandbox, aws_account=WORKLOAD_ACCOUNT, condition="attribute.team == 'billing'")
    with pytest.raises(exceptions.OAuthError) as e:
        aws_credentials(sandbox, aws_identity().creds).refresh(Request())
    assert raw_body(e) == S1


def test_long_subject_is_rejected(sandbox, aws_identity):
    enable(sandbox)
    add_provider(sandbox, aws_account=WORKLOAD_ACCOUNT,
                 mapping={"google.subject": "assertion.arn + '/' + assertion.arn + '/' + assertion.arn"})
    with pytest.raises(exceptions.OAuthError) as e:
        aws_credentials(sandbox, aws_identity().creds).refresh(Request())
    assert raw_body(e)["error"] == "invalid_request"
    assert "exceeds the 127 bytes limit" in raw_body(e)["error_description"]


def test_wrong_aws_account_is_refused(sandbox, aws_identity):
    enable(sandbox)
    add_provider(sandbox, aws_account=WORKLOAD_ACCOUNT)
    with pytest.raises(exceptions.OAuthError) as e:
        aws_credentials(sandbox, aws_identity(SECOND_ACCOUNT).creds).refresh(Request())
    body = raw_body(e)
    assert body["error"] == "invalid_grant"
    assert SECOND_ACCOUNT in body["error_description"] and WORKLOAD_ACCOUNT in body["error_description"]


def test_wrong_secret_is_s6(sandbox, aws_identity):
    enable(sandbox)
    add_provider(sandbox, aws_account=WORKLOAD_ACCOUNT)
    good = aws_identity().creds
    bad = aws.AwsSecurityCredentials(good.access_key_id, good.secret_access_key[:-1] + "X", good.session_token)
    with pytest.raises(exceptions.OAuthError) as e:
        aws_credentials(sandbox, bad).refresh(Request())
    body = raw_body(e)
    assert body["error"] == "invalid_grant"
    assert body["error_description"].startswith(
        "Received invalid AWS response of type SignatureDoesNotMatch with error message: The request signature we "
        "calculated does not match the signature you provided.")


def test_replay_reaches_emulated_aws_front(sandbox):
    """Against the real emulated AWS front (another module): the admin user's own keys, no stand-in."""
    if not aws_front_present(sandbox):
        pytest.skip("emulated AWS front not implemented yet")
    enable(sandbox)
    add_provider(sandbox, aws_account=WORKLOAD_ACCOUNT)
    keys = aws.AwsSecurityCredentials(ids.AWS_ADMIN_ACCESS_KEY_ID, ids.AWS_ADMIN_SECRET_ACCESS_KEY)
    creds = aws_credentials(sandbox, keys)
    creds.refresh(Request())
    subject = sandbox.google_auth.lookup(creds.token).principal.subject
    assert subject == f"arn:aws:iam::{WORKLOAD_ACCOUNT}:user/{ids.AWS_ADMIN_USER}"
    tampered = aws.AwsSecurityCredentials(ids.AWS_ADMIN_ACCESS_KEY_ID, "wrong" + ids.AWS_ADMIN_SECRET_ACCESS_KEY[5:])
    with pytest.raises(exceptions.OAuthError) as e:
        aws_credentials(sandbox, tampered).refresh(Request())
    assert "SignatureDoesNotMatch" in raw_body(e)["error_description"]


def test_signature_for_another_region_is_s8(sandbox, aws_identity):
    """M17: signed for eu-west-1 but the URL says us-east-1 → the request has invalid format."""
    enable(sandbox)
    add_provider(sandbox, aws_account=WORKLOAD_ACCOUNT)
    creds = aws_credentials(sandbox, aws_identity().creds)
    token = json.loads(urllib.parse.unquote(creds.retrieve_subject_token(None)))
    token["url"] = token["url"].replace("us-east-1", "eu-west-1")
    r = post_token(sandbox, subject_token=urllib.parse.quote(json.dumps(token)))
    assert r.status_code == 400
    assert r.json() == {"error": "invalid_request", "error_description": "AWS request has invalid format."}


# -- audience, project, provider state ----------------------------------------------------------
@pytest.mark.parametrize("bad", [
    "https://iam.googleapis.com/projects/615204081942/locations/global/workloadIdentityPools/aws-pool/providers/aws-prov",
    "//iam.googleapis.com/projects/615204081942/locations/global/workloadIdentityPools/aws-pool",
    "principalSet://iam.googleapis.com/projects/615204081942/locations/global/workloadIdentityPools/aws-pool/*",
    "",
])
def test_malformed_audience_is_s2(sandbox, aws_identity, bad):
    enable(sandbox)
    add_provider(sandbox, aws_account=WORKLOAD_ACCOUNT)
    with pytest.raises(exceptions.OAuthError) as e:
        aws_credentials(sandbox, aws_identity().creds, aud=bad or " ").refresh(Request())
    assert raw_body(e) == S2


def test_project_id_instead_of_number_is_s3(sandbox, aws_identity):
    enable(sandbox)
    add_provider(sandbox, aws_account=WORKLOAD_ACCOUNT)
    aud = audience().replace(NUMBER, ids.PROJECT_ID)
    with pytest.raises(exceptions.OAuthError) as e:
        aws_credentials(sandbox, aws_identity().creds, aud=aud).refresh(Request())
    assert raw_body(e) == S3


@pytest.mark.parametrize("change", ["provider_disabled", "pool_deleted", "provider_deleted", "missing"])
def test_unusable_provider_is_s3(sandbox, aws_identity, change):
    enable(sandbox)
    provider = add_provider(sandbox, aws_account=WORKLOAD_ACCOUNT)
    pool = project(sandbox).pools["aws-pool"]
    if change == "provider_disabled":
        provider.disabled = True
    elif change == "pool_deleted":
        pool.state = "DELETED"
    elif change == "provider_deleted":
        provider.state = "DELETED"
    else:
        del pool.providers["aws-prov"]
    with pytest.raises(exceptions.OAuthError) as e:
        aws_credentials(sandbox, aws_identity().creds).refresh(Request())
    assert raw_body(e) == S3


def test_sts_api_disabled_is_s16(sandbox, aws_identity):
    enable(sandbox, "iamcredentials.googleapis.com")
    add_provider(sandbox, aws_account=WORKLOAD_ACCOUNT)
    with pytest.raises(exceptions.OAuthError) as e:
        aws_credentials(sandbox, aws_identity().creds).refresh(Request())
    err = raw_body(e)["error"]
    assert err["code"] == 403 and err["status"] == "PERMISSION_DENIED"
    assert err["message"].startswith(f"Security Token Service API has not been used in project {NUMBER} before")
    assert err["details"][0]["reason"] == "SERVICE_DISABLED"
    assert err["details"][0]["metadata"]["service"] == "sts.googleapis.com"


# -- request fields -----------------------------------------------------------------------------
def test_field_checks(sandbox):
    enable(sandbox)
    add_provider(sandbox, aws_account=WORKLOAD_ACCOUNT)
    assert post_token(sandbox, requested_token_type="urn:x").json() == {
        "error": "invalid_request", "error_description": "Invalid value of requested_token_type in request."}
    assert post_token(sandbox, scope=None).json() == {
        "error": "invalid_request", "error_description": "Scope(s) must be provided."}
    assert post_token(sandbox, grant_type="client_credentials").status_code == 400
    empty = post_token(sandbox, subject_token="").json()
    assert empty["error_description"].startswith("Invalid format of AWS credentials:Error at line 0:0")


def test_json_camel_case_body_via_googleapiclient(sandbox, aws_identity):
    """googleapiclient's sts.v1 sends JSON camelCase; the IAM scope google-auth uses when impersonating is fine."""
    from googleapiclient import discovery
    import google.auth.credentials

    enable(sandbox)
    add_provider(sandbox, aws_account=WORKLOAD_ACCOUNT)
    subject = aws_credentials(sandbox, aws_identity().creds).retrieve_subject_token(None)
    anonymous = google.auth.credentials.AnonymousCredentials()
    anonymous._universe_domain = ids.UNIVERSE_DOMAIN
    client = discovery.build("sts", "v1", credentials=anonymous, static_discovery=True, cache_discovery=False,
                             client_options={"api_endpoint": sandbox.endpoints["gcp"]["sts"],
                                             "universe_domain": ids.UNIVERSE_DOMAIN})
    out = client.v1().token(body={
        "grantType": "urn:ietf:params:oauth:grant-type:token-exchange", "audience": audience(),
        "scope": "https://www.googleapis.com/auth/iam",
        "requestedTokenType": "urn:ietf:params:oauth:token-type:access_token",
        "subjectToken": subject, "subjectTokenType": AWS_TOKEN_TYPE}).execute()
    assert out["token_type"] == "Bearer" and out["expires_in"] == 3600
    assert out["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"


# -- SigV4 subject-token parsing (pure; botocore signs) ------------------------------------------
def _botocore_subject_token(url="https://sts.us-east-1.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15",
                            host="sts.us-east-1.amazonaws.com", region="us-east-1", session=True) -> str:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="POST", url=url, data=b"")
    SigV4Auth(Credentials("ASIAUNITTEST00000001", "secret", "tok" if session else None), "sts", region).add_auth(request)
    headers = [{"key": k, "value": v} for k, v in request.headers.items()] + [
        {"key": "host", "value": host}, {"key": "x-goog-cloud-target-resource", "value": audience()}]
    return urllib.parse.quote(json.dumps({"url": url, "method": "POST", "headers": headers}))


def test_parse_signed_request_from_botocore():
    signed = sts_aws.parse_signed_request(_botocore_subject_token())
    assert (signed.host, signed.region, signed.access_key_id) == ("sts.us-east-1.amazonaws.com", "us-east-1",
                                                                  "ASIAUNITTEST00000001")
    assert set(signed.signed_headers) == {"host", "x-amz-date", "x-amz-security-token"}
    replay = {k.lower(): v for k, v in signed.replay_headers().items()}
    assert set(replay) == {"authorization", "host", "x-amz-date", "x-amz-security-token"}
    assert replay["host"] == "sts.us-east-1.amazonaws.com"
    assert signed.header("X-Goog-Cloud-Target-Resource") == audience()
    # un-quoted JSON is accepted as well
    plain = urllib.parse.unquote(_botocore_subject_token(session=False))
    assert sts_aws.parse_signed_request(plain).signed_headers == ("host", "x-amz-date")


@pytest.mark.parametrize("kwargs", [
    {"host": "sts.amazonaws.com"},                                                     # M16: host ≠ URL host
    {"region": "eu-west-1"},                                                           # M17: scope region ≠ URL region
    {"url": "https://sts.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15",
     "host": "sts.amazonaws.com"},                                                     # global endpoint
    {"url": "https://sts.us-east-1.amazonaws.com?Action=AssumeRole&Version=2011-06-15"},
])
def test_parse_signed_request_rejects_bad_shapes(kwargs):
    with pytest.raises(StsError) as e:
        sts_aws.parse_signed_request(_botocore_subject_token(**kwargs))
    assert e.value.body() == {"error": "invalid_request", "error_description": "AWS request has invalid format."}


def test_parse_caller_identity_error_relay():
    xml = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
           "<Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid."
           "</Message></Error><RequestId>r</RequestId></ErrorResponse>")
    with pytest.raises(StsError) as e:
        sts_aws.parse_caller_identity(403, xml)
    assert e.value.body() == {"error": "invalid_grant", "error_description":  # S7
                              "Received invalid AWS response of type InvalidClientTokenId with error message: "
                              "The security token included in the request is invalid."}
    ok = ('<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
          "<Arn>arn:aws:sts::111122223333:assumed-role/app/i-1</Arn><UserId>AROA:i-1</UserId>"
          "<Account>111122223333</Account></GetCallerIdentityResult></GetCallerIdentityResponse>")
    assert sts_aws.parse_caller_identity(200, ok).assertion() == {
        "arn": "arn:aws:sts::111122223333:assumed-role/app/i-1", "account": "111122223333", "userid": "AROA:i-1"}


# -- OIDC (EKS service-account tokens) ------------------------------------------------------------
def _eks_claims(sb, **over):
    now = int(sb.clock.now())
    claims = {"iss": ids.EKS_ISSUER, "aud": ["sts.amazonaws.com"], "iat": now, "nbf": now, "exp": now + 3600,
              "sub": f"system:serviceaccount:{ids.KUBERNETES_NAMESPACE}:{ids.KUBERNETES_SERVICE_ACCOUNT}",
              "kubernetes.io": {"namespace": ids.KUBERNETES_NAMESPACE,
                                "serviceaccount": {"name": ids.KUBERNETES_SERVICE_ACCOUNT, "uid": "u-1"}}}
    claims.update(over)
    return claims


def add_eks_provider(sb, *, jwks: bool = True, audiences=("sts.amazonaws.com",), issuer=ids.EKS_ISSUER, condition=""):
    oidc = {"issuerUri": issuer, "allowedAudiences": list(audiences)}
    if jwks:
        oidc["jwksJson"] = json.dumps({"keys": [sb.keys.eks.jwk()]})
    return add_provider(sb, "eks-pool", "eks-prov", oidc=oidc, condition=condition,
                        mapping={"google.subject": "assertion.sub",
                                 "attribute.namespace": "assertion['kubernetes.io']['namespace']"})


def _token_file(tmp_path, token: str):
    path = tmp_path / "token"
    path.write_text(token + "\n")  # as the kubelet writes it; google-auth sends the newline along
    return path


def test_eks_file_token_gets_federated_token(sandbox, tmp_path):
    enable(sandbox)
    add_eks_provider(sandbox, condition="attribute.namespace == 'apps'")
    creds = oidc_credentials(sandbox, _token_file(tmp_path, sandbox.keys.eks.sign(_eks_claims(sandbox))), aud=EKS_AUD)
    creds.refresh(Request())
    info = sandbox.google_auth.lookup(creds.token)
    assert info.principal.subject == "system:serviceaccount:apps:billing"
    assert ("namespace", "apps") in info.principal.attributes


def test_eks_token_expiry_caps_federated_lifetime(sandbox, tmp_path):
    enable(sandbox)
    add_eks_provider(sandbox)
    token = sandbox.keys.eks.sign(_eks_claims(sandbox, exp=int(sandbox.clock.now()) + 600))
    r = post_token(sandbox, audience=EKS_AUD, subject_token_type=JWT_TOKEN_TYPE, subject_token=token + "\n")
    assert r.status_code == 200
    assert 590 <= r.json()["expires_in"] <= 600


def test_eks_discovery_through_issuer_listener(sandbox, tmp_path):
    """Keys from the issuer's discovery document (the EKS issuer listener is another module's)."""
    probe = requests.get(sandbox.resolve_url(ids.EKS_ISSUER + "/.well-known/openid-configuration"), timeout=5)
    if probe.status_code != 200:
        pytest.skip("emulated EKS issuer not serving yet")
    enable(sandbox)
    add_eks_provider(sandbox, jwks=False)
    creds = oidc_credentials(sandbox, _token_file(tmp_path, sandbox.keys.eks.sign(_eks_claims(sandbox))), aud=EKS_AUD)
    creds.refresh(Request())
    assert creds.token


def _oidc_refusal(sandbox, tmp_path, token) -> dict:
    with pytest.raises(exceptions.OAuthError) as e:
        oidc_credentials(sandbox, _token_file(tmp_path, token), aud=EKS_AUD).refresh(Request())
    return raw_body(e)


def test_eks_wrong_audience_is_s10(sandbox, tmp_path):
    enable(sandbox)
    add_eks_provider(sandbox, audiences=())  # default: the provider's own resource name
    body = _oidc_refusal(sandbox, tmp_path, sandbox.keys.eks.sign(_eks_claims(sandbox)))
    assert body == {"error": "invalid_grant", "error_description":
                    "The audience in ID Token [sts.amazonaws.com] does not match the expected audience."}


def test_eks_default_audience_accepts_provider_url(sandbox, tmp_path):
    enable(sandbox)
    add_eks_provider(sandbox, audiences=())
    aud = "https://iam.googleapis.com/" + EKS_AUD[len("//iam.googleapis.com/"):]
    creds = oidc_credentials(sandbox, _token_file(tmp_path, sandbox.keys.eks.sign(_eks_claims(sandbox, aud=aud))),
                             aud=EKS_AUD)
    creds.refresh(Request())
    assert creds.token


def test_eks_issuer_mismatch_is_s11(sandbox, tmp_path):
    enable(sandbox)
    add_eks_provider(sandbox)
    other = ids.EKS_ISSUER + "/"
    body = _oidc_refusal(sandbox, tmp_path, sandbox.keys.eks.sign(_eks_claims(sandbox, iss=other)))
    assert body == {"error": "invalid_grant", "error_description":
                    f"The issuer in ID Token {other} does not match the expected one in config"}


def test_eks_expired_token_is_s12(sandbox, tmp_path):
    enable(sandbox)
    add_eks_provider(sandbox)
    iat = int(sandbox.clock.now()) - 7200
    body = _oidc_refusal(sandbox, tmp_path, sandbox.keys.eks.sign(_eks_claims(sandbox, iat=iat, exp=iat + 3600)))
    assert body == {"error": "invalid_grant", "error_description": f"ID Token issued at {iat} is stale to sign-in."}


def test_eks_key_rotated_under_same_kid_is_s13(sandbox, tmp_path):
    enable(sandbox)
    add_eks_provider(sandbox)
    impostor = SigningKey(sandbox.keys.eks.kid, sandbox.keys.google.private_key)
    body = _oidc_refusal(sandbox, tmp_path, impostor.sign(_eks_claims(sandbox)))
    assert body == {"error": "invalid_grant", "error_description": "Unable to verify the ID Token signature."}


def test_eks_unreachable_issuer_is_s14(sandbox, tmp_path):
    enable(sandbox)
    issuer = "https://oidc.eks.eu-west-1.amazonaws.com/id/00000000000000000000000000000000"
    add_eks_provider(sandbox, jwks=False, issuer=issuer)
    body = _oidc_refusal(sandbox, tmp_path, sandbox.keys.eks.sign(_eks_claims(sandbox, iss=issuer)))
    assert body == S14


def test_aws_token_to_oidc_provider_is_refused(sandbox, aws_identity):
    enable(sandbox)
    add_eks_provider(sandbox)
    with pytest.raises(exceptions.OAuthError) as e:
        aws_credentials(sandbox, aws_identity().creds, aud=EKS_AUD).refresh(Request())
    assert raw_body(e)["error"] == "invalid_request"
