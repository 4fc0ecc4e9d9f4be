"""The emulated IAM Credentials API: impersonation after the STS exchange, as google-auth and
google-cloud-iam call it."""

from __future__ import annotations

import jwt
import pytest
import requests
from google.auth import exceptions
from google.auth.transport.requests import Request

from wizard.sandbox import identities as ids
from wizard.sandbox.google.auth import FederatedPrincipal, ServiceAccountPrincipal

from .federation import (CLOUD_PLATFORM, NUMBER, WORKLOAD_ACCOUNT, WORKLOAD_SA, add_provider, aws_credentials,
                         aws_identity, bind, enable, pool_path, project, raw_body, role_set)

__all__ = ["aws_identity"]  # a fixture

C1 = {"code": 403, "message": "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not "
      "exist).", "status": "PERMISSION_DENIED"}


def _c1(body: dict) -> bool:
    err = body["error"]
    return ({k: err[k] for k in ("code", "message", "status")} == C1
            and err["details"][0]["reason"] == "IAM_PERMISSION_DENIED"
            and err["details"][0]["metadata"]["permission"] == "iam.serviceAccounts.getAccessToken")


def _federated_token(sb, subject="system:serviceaccount:apps:billing", pool="aws-pool", attributes=()) -> str:
    token, _ = sb.google_auth.issue(FederatedPrincipal(NUMBER, pool, subject, attributes=attributes),
                                    ("https://www.googleapis.com/auth/iam",), kind="federated")
    return token


def _generate(sb, token: str, body: dict | None = None, sa: str = WORKLOAD_SA, project_ref: str = "-",
              method: str = "generateAccessToken") -> requests.Response:
    url = f"{sb.endpoints['gcp']['iamcredentials']}v1/projects/{project_ref}/serviceAccounts/{sa}:{method}"
    return requests.post(url, json=body if body is not None else {"scope": [CLOUD_PLATFORM]},
                         headers={"Authorization": f"Bearer {token}"}, timeout=10)


def _seed_pool(sb, pool="aws-pool") -> None:
    enable(sb)
    add_provider(sb, pool, "aws-prov", aws_account=WORKLOAD_ACCOUNT)


# -- the full chain through google-auth --------------------------------------------------------
def test_arn_principal_set_impersonates(sandbox, aws_identity):
    _seed_pool(sandbox)
    me = aws_identity()
    bind(sandbox, role_set(me.role_arn))
    creds = aws_credentials(sandbox, me.creds, impersonate=WORKLOAD_SA)
    creds.refresh(Request())
    info = sandbox.google_auth.lookup(creds.token)
    assert info.principal == ServiceAccountPrincipal(WORKLOAD_SA)
    assert info.scopes == (CLOUD_PLATFORM,)
    assert creds.expiry is not None


def test_role_name_principal_set_is_c1(sandbox, aws_identity):
    """M01: a role name instead of the assumed-role ARN: STS admits, IAM Credentials refuses."""
    _seed_pool(sandbox)
    bind(sandbox, role_set(ids.INSTANCE_ROLE))
    with pytest.raises(exceptions.RefreshError) as e:
        aws_credentials(sandbox, aws_identity().creds, impersonate=WORKLOAD_SA).refresh(Request())
    assert e.value.args[0] == "Unable to acquire impersonated credentials"
    assert _c1(raw_body(e))


def test_iam_role_arn_principal_set_is_c1(sandbox, aws_identity):
    """M02: `arn:aws:iam::A:role/R` is not what the default mapping yields."""
    _seed_pool(sandbox)
    bind(sandbox, role_set(f"arn:aws:iam::{WORKLOAD_ACCOUNT}:role/{ids.INSTANCE_ROLE}"))
    with pytest.raises(exceptions.RefreshError) as e:
        aws_credentials(sandbox, aws_identity().creds, impersonate=WORKLOAD_SA).refresh(Request())
    assert _c1(raw_body(e))


def test_propagation_delay_denies_until_it_passes(sandbox, aws_identity):
    _seed_pool(sandbox)
    me = aws_identity()
    sandbox.set_knobs(propagation_delay_s=60)
    bind(sandbox, role_set(me.role_arn))
    with pytest.raises(exceptions.RefreshError) as e:
        aws_credentials(sandbox, me.creds, impersonate=WORKLOAD_SA).refresh(Request())
    assert _c1(raw_body(e))
    sandbox.set_knobs(clock_offset_s=61)
    creds = aws_credentials(sandbox, me.creds, impersonate=WORKLOAD_SA)
    creds.refresh(Request())
    assert sandbox.google_auth.lookup(creds.token).principal == ServiceAccountPrincipal(WORKLOAD_SA)


# -- direct calls -------------------------------------------------------------------------------
def test_subject_principal_and_lifetime(sandbox):
    _seed_pool(sandbox)
    bind(sandbox, f"principal://iam.googleapis.com/{pool_path()}/subject/system:serviceaccount:apps:billing")
    r = _generate(sandbox, _federated_token(sandbox), {"scope": [CLOUD_PLATFORM], "lifetime": "1200s"},
                  sa=WORKLOAD_SA.replace("@", "%40"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"accessToken", "expireTime"}
    assert body["expireTime"].endswith("Z") and "." not in body["expireTime"]
    info = sandbox.google_auth.lookup(body["accessToken"])
    assert 1190 <= info.expires_at - sandbox.clock.now() <= 1200


def test_by_unique_id(sandbox):
    _seed_pool(sandbox)
    bind(sandbox, f"principalSet://iam.googleapis.com/{pool_path()}/*")
    unique_id = sandbox.google.find_service_account(WORKLOAD_SA).unique_id
    assert _generate(sandbox, _federated_token(sandbox), sa=unique_id).status_code == 200


def test_argument_errors(sandbox):
    _seed_pool(sandbox)
    bind(sandbox, f"principalSet://iam.googleapis.com/{pool_path()}/*")
    token = _federated_token(sandbox)
    assert _generate(sandbox, token, {}).json() == {  # C3 (M27: no scopes)
        "error": {"code": 400, "message": "Request contains an invalid argument.", "status": "INVALID_ARGUMENT"}}
    zero = _generate(sandbox, token, {"scope": [CLOUD_PLATFORM], "lifetime": "0s"}).json()["error"]
    assert zero["message"] == "Lifetime of access token must be larger then zero."
    long = _generate(sandbox, token, {"scope": [CLOUD_PLATFORM], "lifetime": "3601s"}).json()["error"]
    assert long["message"].startswith("can not have lifetimes of more than 1 hour.")
    assert _generate(sandbox, token, {"scope": [""]}).status_code == 200  # defaults to cloud-platform
    assert _generate(sandbox, token, project_ref=ids.PROJECT_ID).status_code == 400


def test_unknown_service_account_is_c2(sandbox):
    _seed_pool(sandbox)
    email = f"nobody@{ids.PROJECT_ID}.iam.gserviceaccount.com"
    r = _generate(sandbox, _federated_token(sandbox), sa=email)
    assert r.status_code == 404
    assert r.json()["error"] == {"code": 404, "message": f"Not found; Gaia id not found for email {email}",
                                 "status": "NOT_FOUND"}


def test_api_disabled_is_c6(sandbox):
    enable(sandbox, "sts.googleapis.com")
    add_provider(sandbox, aws_account=WORKLOAD_ACCOUNT)
    err = _generate(sandbox, _federated_token(sandbox)).json()["error"]
    assert err["code"] == 403 and err["details"][0]["reason"] == "SERVICE_DISABLED"
    assert err["message"].startswith(f"IAM Service Account Credentials API has not been used in project {NUMBER}")


def test_deleted_pool_tokens_grant_nothing(sandbox):
    _seed_pool(sandbox)
    bind(sandbox, f"principalSet://iam.googleapis.com/{pool_path()}/*")
    token = _federated_token(sandbox)
    assert _generate(sandbox, token).status_code == 200
    project(sandbox).pools["aws-pool"].state = "DELETED"
    assert _c1(_generate(sandbox, token).json())
    project(sandbox).pools["aws-pool"].state = "ACTIVE"  # undelete: the token works again (cloud-facts §2.5)
    assert _generate(sandbox, token).status_code == 200


def test_deleted_provider_does_not_revoke(sandbox):
    _seed_pool(sandbox)
    bind(sandbox, f"principalSet://iam.googleapis.com/{pool_path()}/*")
    token = _federated_token(sandbox)
    project(sandbox).pools["aws-pool"].providers["aws-prov"].state = "DELETED"
    assert _generate(sandbox, token).status_code == 200


def test_no_token_is_401(sandbox):
    _seed_pool(sandbox)
    r = requests.post(f"{sandbox.endpoints['gcp']['iamcredentials']}v1/projects/-/serviceAccounts/{WORKLOAD_SA}"
                      ":generateAccessToken", json={"scope": [CLOUD_PLATFORM]}, timeout=10)
    assert r.status_code == 401


def test_generate_id_token(sandbox):
    _seed_pool(sandbox)
    bind(sandbox, f"principalSet://iam.googleapis.com/{pool_path()}/*")
    token = _federated_token(sandbox)
    r = _generate(sandbox, token, {"audience": "sts.amazonaws.com", "includeEmail": True}, method="generateIdToken")
    assert r.status_code == 200, r.text
    claims = jwt.decode(r.json()["token"], sandbox.keys.google.public_key, algorithms=["RS256"],
                        audience="sts.amazonaws.com")
    sa = sandbox.google.find_service_account(WORKLOAD_SA)
    assert claims["sub"] == claims["azp"] == sa.unique_id and claims["email"] == WORKLOAD_SA
    assert _generate(sandbox, token, {}, method="generateIdToken").status_code == 400


def test_generate_id_token_needs_permission(sandbox):
    _seed_pool(sandbox)
    r = _generate(sandbox, _federated_token(sandbox), {"audience": "x"}, method="generateIdToken")
    assert r.status_code == 403
    assert r.json()["error"]["message"] == ("Permission 'iam.serviceAccounts.getOpenIdToken' denied on resource "
                                            "(or it may not exist).")


def _admin_token(sb) -> str:
    from google.oauth2 import service_account

    admin = service_account.Credentials.from_service_account_file(sb.endpoints["gcp"]["admin_credentials"],
                                                                  scopes=[CLOUD_PLATFORM])
    admin.refresh(Request())
    return admin.token


def _grant_on_workload_sa(sb, role: str) -> None:
    """setIamPolicy on the service account through the admin API, as `gcloud iam service-accounts
    add-iam-policy-binding` does."""
    from .google_admin_clients import cached

    accounts = cached("iam", "v1", sb.endpoints).projects().serviceAccounts()
    name = f"projects/{ids.PROJECT_ID}/serviceAccounts/{WORKLOAD_SA}"
    policy = accounts.getIamPolicy(resource=name).execute()
    admin = sb.endpoints["gcp"]["admin_service_account"]
    policy.setdefault("bindings", []).append({"role": role, "members": [f"serviceAccount:{admin}"]})
    accounts.setIamPolicy(resource=name, body={"policy": policy}).execute()


def test_project_owner_mints_no_token_until_granted_token_creator(sandbox):
    """The admin is roles/owner on the project, which holds no token-minting permission: real Google
    refuses it generateAccessToken and generateIdToken until a token-creator role is granted on the
    service account."""
    enable(sandbox)
    token = _admin_token(sandbox)
    access = _generate(sandbox, token)
    assert access.status_code == 403 and _c1(access.json())
    id_body = {"audience": "x"}
    denied = _generate(sandbox, token, id_body, method="generateIdToken").json()["error"]
    assert denied["details"][0]["metadata"]["permission"] == "iam.serviceAccounts.getOpenIdToken"

    _grant_on_workload_sa(sandbox, "roles/iam.serviceAccountOpenIdTokenCreator")
    assert _generate(sandbox, token, id_body, method="generateIdToken").status_code == 200
    assert _generate(sandbox, token).status_code == 403  # ID tokens only

    _grant_on_workload_sa(sandbox, "roles/iam.serviceAccountTokenCreator")
    assert _generate(sandbox, token).status_code == 200


def test_google_cloud_iam_client(sandbox):
    """google-cloud-iam's REST transport (`$alt` query, percent-encoded name) against the sandbox."""
    from google.api_core.client_options import ClientOptions
    from google.cloud import iam_credentials_v1
    from google.oauth2 import service_account

    enable(sandbox)
    _grant_on_workload_sa(sandbox, "roles/iam.serviceAccountTokenCreator")  # the owner alone may not
    admin = service_account.Credentials.from_service_account_file(
        sandbox.endpoints["gcp"]["admin_credentials"], scopes=[CLOUD_PLATFORM])
    client = iam_credentials_v1.IAMCredentialsClient(
        credentials=admin, transport="rest",
        client_options=ClientOptions(api_endpoint=sandbox.endpoints["gcp"]["iamcredentials"].rstrip("/"),
                                     universe_domain=ids.UNIVERSE_DOMAIN))
    out = client.generate_access_token(name=f"projects/-/serviceAccounts/{WORKLOAD_SA}", scope=[CLOUD_PLATFORM])
    assert sandbox.google_auth.lookup(out.access_token).principal == ServiceAccountPrincipal(WORKLOAD_SA)


@pytest.mark.parametrize("role", ["roles/owner", "roles/editor"])
def test_basic_roles_keep_everything_but_token_minting(role):
    from wizard.sandbox.google.auth import role_grants

    for permission in ("iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.getOpenIdToken",
                       "iam.serviceAccounts.signBlob", "iam.serviceAccounts.signJwt",
                       "iam.serviceAccounts.implicitDelegation"):
        assert not role_grants(role, permission)
    assert role_grants(role, "iam.serviceAccounts.get") and role_grants(role, "iam.workloadIdentityPools.create")
    assert role_grants("roles/iam.serviceAccountTokenCreator", "iam.serviceAccounts.signJwt")
