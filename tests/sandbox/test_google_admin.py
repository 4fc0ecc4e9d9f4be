"""The sandbox's Service Usage and Resource Manager APIs, and the admin-call gates (401, SERVICE_DISABLED),
through googleapiclient built from its shipped discovery documents."""

from __future__ import annotations

import pytest
from googleapiclient.errors import HttpError

from .google_admin_clients import build, cached, error_body, wait

FOUR = ["iam.googleapis.com", "cloudresourcemanager.googleapis.com", "iamcredentials.googleapis.com",
        "sts.googleapis.com"]


@pytest.fixture
def su(endpoints):
    return cached("serviceusage", "v1", endpoints)


@pytest.fixture
def crm(endpoints, su, endpoints_project):
    enable(su, endpoints_project, FOUR)
    return cached("cloudresourcemanager", "v1", endpoints)


@pytest.fixture
def endpoints_project(endpoints):
    return endpoints["gcp"]["project_id"]


def enable(su, project: str, services: list[str]) -> dict:
    op = su.services().batchEnable(parent=f"projects/{project}", body={"serviceIds": services}).execute()
    return wait(op, lambda name: su.operations().get(name=name))


# -- Service Usage -------------------------------------------------------------------------------

def test_batch_get_then_batch_enable_the_four_apis(su, endpoints):
    project, number = endpoints["gcp"]["project_id"], endpoints["gcp"]["project_number"]
    names = [f"projects/{project}/services/{s}" for s in FOUR]
    before = su.services().batchGet(parent=f"projects/{project}", names=names).execute()
    assert [s["state"] for s in before["services"]] == ["DISABLED"] * 4
    # names come back with the project NUMBER whatever the request used
    assert [s["name"] for s in before["services"]] == [f"projects/{number}/services/{s}" for s in FOUR]

    op = su.services().batchEnable(parent=f"projects/{project}", body={"serviceIds": FOUR}).execute()
    assert op["name"].startswith(f"operations/acf.p2-{number}-")
    assert not op.get("done")
    done = wait(op, lambda name: su.operations().get(name=name))
    assert done["response"]["@type"] == "type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse"
    assert {s["config"]["name"] for s in done["response"]["services"]} == set(FOUR)

    after = su.services().batchGet(parent=f"projects/{number}", names=names).execute()
    assert [s["state"] for s in after["services"]] == ["ENABLED"] * 4

    again = su.services().batchEnable(parent=f"projects/{project}", body={"serviceIds": FOUR}).execute()
    assert again["name"] == "operations/noop.DONE_OPERATION" and again["done"] is True


def test_enable_and_disable_one_service(su, endpoints):
    project = endpoints["gcp"]["project_id"]
    name = f"projects/{project}/services/sts.googleapis.com"
    op = su.services().enable(name=name, body={}).execute()
    done = wait(op, lambda n: su.operations().get(name=n))
    assert done["response"]["@type"].endswith("EnableServiceResponse")
    assert done["response"]["service"]["state"] == "ENABLED"
    assert su.services().get(name=name).execute()["state"] == "ENABLED"
    wait(su.services().disable(name=name, body={}).execute(), lambda n: su.operations().get(name=n))
    assert su.services().get(name=name).execute()["state"] == "DISABLED"


def test_batch_enable_is_atomic_an_unknown_service_fails_the_whole_batch(su, endpoints):
    project = endpoints["gcp"]["project_id"]
    with pytest.raises(HttpError) as e:
        su.services().batchEnable(parent=f"projects/{project}",
                                  body={"serviceIds": ["iam.googleapis.com", "nope.googleapis.com"]}).execute()
    assert e.value.status_code == 403
    err = error_body(e.value)
    assert err["message"] == "Not found or permission denied for service(s): nope.googleapis.com."
    assert err["details"][0]["reason"] == "SERVICE_CONFIG_NOT_FOUND_OR_PERMISSION_DENIED"
    got = su.services().get(name=f"projects/{project}/services/iam.googleapis.com").execute()
    assert got["state"] == "DISABLED"


def test_batch_limits(su, endpoints):
    project = endpoints["gcp"]["project_id"]
    with pytest.raises(HttpError) as e:
        su.services().batchEnable(parent=f"projects/{project}", body={"serviceIds": FOUR * 6}).execute()
    assert e.value.status_code == 400
    with pytest.raises(HttpError) as e:
        su.services().batchGet(parent=f"projects/{project}",
                               names=[f"projects/{project}/services/iam.googleapis.com"] * 31).execute()
    assert e.value.status_code == 400


def test_list_enabled_services_with_paging(su, endpoints):
    project = endpoints["gcp"]["project_id"]
    enable(su, project, FOUR)
    enabled = su.services().list(parent=f"projects/{project}", filter="state:ENABLED").execute()
    assert {s["config"]["name"] for s in enabled["services"]} == set(FOUR) | {"serviceusage.googleapis.com"}
    seen, token = [], None
    while True:
        page = su.services().list(parent=f"projects/{project}", pageSize=3, pageToken=token).execute()
        assert len(page.get("services", [])) <= 3
        seen += [s["config"]["name"] for s in page.get("services", [])]
        token = page.get("nextPageToken")
        if not token:
            break
    assert len(seen) == len(set(seen)) >= 11
    assert {"alloydb.googleapis.com", "compute.googleapis.com"} <= set(seen)


# -- the gates every admin call passes -----------------------------------------------------------

def test_iam_call_before_enabling_gets_service_disabled(endpoints):
    iam = build("iam", "v1", endpoints)
    number = endpoints["gcp"]["project_number"]
    with pytest.raises(HttpError) as e:
        iam.projects().serviceAccounts().list(name=f"projects/{endpoints['gcp']['project_id']}").execute()
    assert e.value.status_code == 403
    err = error_body(e.value)
    assert err["status"] == "PERMISSION_DENIED"
    assert err["message"].startswith(f"Identity and Access Management (IAM) API has not been used in project "
                                     f"{number} before or it is disabled.")
    info = err["details"][0]
    assert info["reason"] == "SERVICE_DISABLED"
    assert info["metadata"] == {
        "service": "iam.googleapis.com", "consumer": f"projects/{number}",
        "activationUrl": f"https://console.developers.google.com/apis/api/iam.googleapis.com/overview?project={number}"}


def test_crm_disabled_is_service_disabled_too(endpoints):
    crm = build("cloudresourcemanager", "v1", endpoints)
    with pytest.raises(HttpError) as e:
        crm.projects().get(projectId=endpoints["gcp"]["project_number"]).execute()
    assert e.value.status_code == 403
    assert error_body(e.value)["details"][0]["metadata"]["service"] == "cloudresourcemanager.googleapis.com"


@pytest.mark.parametrize("token", [None, "ya29.not-a-sandbox-token"])
def test_calls_without_a_valid_token_get_401(endpoints, su, token):
    import google.oauth2.credentials
    import google_auth_httplib2
    import httplib2
    from googleapiclient import discovery

    enable(su, endpoints["gcp"]["project_id"], FOUR)
    options = {"api_endpoint": endpoints["gcp"]["iam"]}
    if token is None:
        http = httplib2.Http()  # no Authorization header at all
    else:
        creds = google.oauth2.credentials.Credentials(token=token, universe_domain=endpoints["gcp"]["universe_domain"])
        # googleapiclient would try to refresh on 401 and raise RefreshError; show the server's answer instead
        http = google_auth_httplib2.AuthorizedHttp(creds, refresh_status_codes=())
        options["universe_domain"] = endpoints["gcp"]["universe_domain"]
    iam = discovery.build("iam", "v1", http=http, static_discovery=True, cache_discovery=False,
                          client_options=options)
    with pytest.raises(HttpError) as e:
        iam.projects().serviceAccounts().list(name=f"projects/{endpoints['gcp']['project_id']}").execute()
    assert e.value.status_code == 401
    assert error_body(e.value)["status"] == "UNAUTHENTICATED"


def test_a_caller_without_the_permission_gets_403(sandbox, endpoints, su):
    import google.oauth2.credentials

    from wizard.sandbox.google.auth import ServiceAccountPrincipal

    enable(su, endpoints["gcp"]["project_id"], FOUR)
    token, _ = sandbox.google_auth.issue(ServiceAccountPrincipal(endpoints["gcp"]["workload_service_account"]),
                                         ["https://www.googleapis.com/auth/cloud-platform"])
    creds = google.oauth2.credentials.Credentials(token=token, universe_domain=endpoints["gcp"]["universe_domain"])
    iam = build("iam", "v1", endpoints, credentials=creds)
    with pytest.raises(HttpError) as e:
        iam.projects().locations().workloadIdentityPools().create(
            parent=f"projects/{endpoints['gcp']['project_id']}/locations/global", workloadIdentityPoolId="pool1",
            body={}).execute()
    assert e.value.status_code == 403
    err = error_body(e.value)
    # A6 (cloud-facts §3.3)
    assert err["message"] == ("Permission 'iam.workloadIdentityPools.create' denied on resource "
                              "(or it may not exist).")
    assert err["details"][0]["reason"] == "IAM_PERMISSION_DENIED"


# -- Cloud Resource Manager --------------------------------------------------------------------

def test_project_get_by_id_or_number(crm, endpoints):
    by_id = crm.projects().get(projectId=endpoints["gcp"]["project_id"]).execute()
    by_number = crm.projects().get(projectId=endpoints["gcp"]["project_number"]).execute()
    assert by_id == by_number
    assert by_id["projectNumber"] == endpoints["gcp"]["project_number"]
    assert isinstance(by_id["projectNumber"], str)
    assert by_id["lifecycleState"] == "ACTIVE" and by_id["createTime"]
    assert "parent" not in by_id


def test_project_get_unknown_is_403(crm):
    with pytest.raises(HttpError) as e:
        crm.projects().get(projectId="no-such-project").execute()
    assert e.value.status_code == 403


def test_project_policy_read_modify_write_and_audit_configs(crm, endpoints):
    project = endpoints["gcp"]["project_id"]
    policy = crm.projects().getIamPolicy(resource=project, body={"options": {"requestedPolicyVersion": 3}}).execute()
    assert any(b["role"] == "roles/owner" for b in policy["bindings"])
    audit = [{"service": "iam.googleapis.com", "auditLogConfigs": [{"logType": "DATA_READ"}]}]
    policy["auditConfigs"] = audit
    written = crm.projects().setIamPolicy(resource=project, body={
        "policy": policy, "updateMask": "bindings,etag,auditConfigs"}).execute()
    assert written["auditConfigs"] == audit and written["etag"] != policy["etag"]

    # the default mask is `bindings,etag`: a write without auditConfigs keeps them
    written["bindings"].append({"role": "roles/viewer", "members": ["user:ana@example.com"]})
    del written["auditConfigs"]
    kept = crm.projects().setIamPolicy(resource=project, body={"policy": written}).execute()
    assert kept["auditConfigs"] == audit
    assert {"role": "roles/viewer", "members": ["user:ana@example.com"]} in kept["bindings"]

    # with auditConfigs in the mask, an empty list clears them
    kept["auditConfigs"] = []
    cleared = crm.projects().setIamPolicy(resource=project, body={
        "policy": kept, "updateMask": "auditConfigs,bindings,etag"}).execute()
    assert "auditConfigs" not in cleared


def test_project_policy_stale_etag_is_aborted(crm, endpoints):
    project = endpoints["gcp"]["project_id"]
    policy = crm.projects().getIamPolicy(resource=project, body={}).execute()
    crm.projects().setIamPolicy(resource=project, body={"policy": policy}).execute()
    with pytest.raises(HttpError) as e:
        crm.projects().setIamPolicy(resource=project, body={"policy": policy}).execute()
    assert e.value.status_code == 409
    err = error_body(e.value)
    assert err["status"] == "ABORTED"
    assert err["message"] == ("There were concurrent policy changes. Please retry the whole read-modify-write "
                              "with exponential backoff.")


@pytest.mark.parametrize("member", ["allUsers", "allAuthenticatedUsers"])
def test_project_policy_refuses_public_members(crm, endpoints, member):
    project = endpoints["gcp"]["project_id"]
    policy = crm.projects().getIamPolicy(resource=project, body={}).execute()
    policy["bindings"].append({"role": "roles/viewer", "members": [member]})
    with pytest.raises(HttpError) as e:
        crm.projects().setIamPolicy(resource=project, body={"policy": policy}).execute()
    assert e.value.status_code == 400


def test_project_policy_refuses_malformed_members(crm, endpoints):
    project = endpoints["gcp"]["project_id"]
    policy = crm.projects().getIamPolicy(resource=project, body={}).execute()
    member = "principleSet://iam.googleapis.com/projects/615204081942/locations/global/workloadIdentityPools/p/*"
    policy["bindings"].append({"role": "roles/viewer", "members": [member]})
    with pytest.raises(HttpError) as e:
        crm.projects().setIamPolicy(resource=project, body={"policy": policy}).execute()
    assert e.value.status_code == 400
    assert error_body(e.value)["message"] == (f"The member {member} is of an unknown type. Please set a valid "
                                              f"type prefix for the member.")
