"""The emulated GCE metadata server, read by google-auth's unmodified compute_engine credentials."""

from __future__ import annotations

import jwt
import pytest
import requests
from google.auth import compute_engine
from google.auth.compute_engine import _metadata
from google.auth.transport.requests import Request

from wizard.sandbox import identities as ids
from wizard.sandbox.google.auth import ServiceAccountPrincipal

WORKLOAD_SA = f"{ids.WORKLOAD_SA_ID}@{ids.PROJECT_ID}.iam.gserviceaccount.com"
FLAVOR = {"Metadata-Flavor": "Google"}


@pytest.fixture
def metadata_host(sandbox, monkeypatch):
    """Point google-auth at the sandbox's metadata server.

    `_metadata` reads GCE_METADATA_HOST once, at import (module constant `_GCE_METADATA_HOST`), so
    setting the variable in a running process is not enough; GCE_METADATA_IP (the ping) is read per call.
    """
    host = sandbox.endpoints["gcp"]["metadata_host"]
    monkeypatch.setenv("GCE_METADATA_HOST", host)
    monkeypatch.setenv("GCE_METADATA_IP", host)
    monkeypatch.setattr(_metadata, "_GCE_METADATA_HOST", host)
    return host


def _get(sb, path, headers=FLAVOR, **params):
    return requests.get(f"{sb.url('metadata')}/computeMetadata/v1/{path}", headers=headers, params=params, timeout=5)


def test_ping(metadata_host):
    assert _metadata.ping(Request())


def test_compute_engine_credentials_refresh(sandbox, metadata_host):
    creds = compute_engine.Credentials()
    creds.refresh(Request())
    assert creds.service_account_email == WORKLOAD_SA
    info = sandbox.google_auth.lookup(creds.token)
    assert info.principal == ServiceAccountPrincipal(WORKLOAD_SA)
    assert creds.universe_domain == ids.UNIVERSE_DOMAIN


def test_compute_engine_credentials_with_scopes(sandbox, metadata_host):
    creds = compute_engine.Credentials(scopes=["https://www.googleapis.com/auth/iam"])
    creds.refresh(Request())
    assert sandbox.google_auth.lookup(creds.token).scopes == ("https://www.googleapis.com/auth/iam",)


def test_id_token_credentials_from_identity_endpoint(sandbox, metadata_host):
    creds = compute_engine.IDTokenCredentials(Request(), target_audience="sts.amazonaws.com",
                                              use_metadata_identity_endpoint=True)
    creds.refresh(Request())
    claims = jwt.decode(creds.token, sandbox.keys.google.public_key, algorithms=["RS256"], audience="sts.amazonaws.com")
    sa = sandbox.google.find_service_account(WORKLOAD_SA)
    assert claims["iss"] == ids.GOOGLE_ISSUER
    assert claims["sub"] == claims["azp"] == sa.unique_id
    assert claims["email"] == WORKLOAD_SA  # format=full


def test_identity_without_full_format_has_no_email(sandbox):
    r = _get(sandbox, "instance/service-accounts/default/identity", audience="aud-1")
    assert r.status_code == 200
    assert "email" not in jwt.decode(r.text, options={"verify_signature": False})


def test_identity_requires_audience(sandbox):
    assert _get(sandbox, "instance/service-accounts/default/identity").status_code == 400


def test_header_required(sandbox):
    r = _get(sandbox, "instance/id", headers={})
    assert r.status_code == 403
    assert "Missing Metadata-Flavor:Google header." in r.text
    assert _get(sandbox, "instance/id", headers={**FLAVOR, "X-Forwarded-For": "10.0.0.1"}).status_code == 403


def test_plain_values(sandbox):
    assert _get(sandbox, "project/project-id").text == ids.PROJECT_ID
    assert _get(sandbox, "project/numeric-project-id").text == ids.PROJECT_NUMBER
    assert _get(sandbox, "instance/zone").text.startswith(f"projects/{ids.PROJECT_NUMBER}/zones/")
    assert _get(sandbox, "instance/id").text.isdigit()
    assert _get(sandbox, "instance/service-accounts/").text.split() == ["default/", f"{WORKLOAD_SA}/"]
    assert _get(sandbox, f"instance/service-accounts/{WORKLOAD_SA}/email").text == WORKLOAD_SA
    assert _get(sandbox, "instance/service-accounts/default/aliases").text.strip() == "default"
    assert _get(sandbox, "instance/service-accounts/other@x.iam.gserviceaccount.com/email").status_code == 404
    token = _get(sandbox, "instance/service-accounts/default/token").json()
    assert token["token_type"] == "Bearer" and token["expires_in"] > 0 and token["access_token"]
    root = requests.get(sandbox.url("metadata") + "/", timeout=5)
    assert root.status_code == 200 and root.headers["Metadata-Flavor"] == "Google"
