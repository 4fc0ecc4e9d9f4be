"""The sandbox's IAM v1: workload identity pools and providers (LROs, soft delete, ID rules, validation)
and service accounts with their IAM policies, through googleapiclient's static iam v1 client."""

from __future__ import annotations

import random
import threading
import time

import pytest
from googleapiclient.errors import HttpError

from .google_admin_clients import build, cached, error_body, wait

FOUR = ["iam.googleapis.com", "cloudresourcemanager.googleapis.com", "iamcredentials.googleapis.com",
        "sts.googleapis.com"]
CONDITION = "assertion.arn.startsWith('arn:aws:sts::111122223333:assumed-role/app/')"


@pytest.fixture
def iam(endpoints):
    su = cached("serviceusage", "v1", endpoints)
    op = su.services().batchEnable(parent=f"projects/{endpoints['gcp']['project_id']}",
                                   body={"serviceIds": FOUR}).execute()
    wait(op, lambda name: su.operations().get(name=name))
    return cached("iam", "v1", endpoints)


@pytest.fixture
def project(endpoints):
    return endpoints["gcp"]["project_id"]


@pytest.fixture
def number(endpoints):
    return endpoints["gcp"]["project_number"]


def pools(iam):
    return iam.projects().locations().workloadIdentityPools()


def providers(iam):
    return pools(iam).providers()


def create_pool(iam, project, pool_id="aws-pool", **body):
    op = pools(iam).create(parent=f"projects/{project}/locations/global", workloadIdentityPoolId=pool_id,
                           body=body).execute()
    return wait(op, lambda name: pools(iam).operations().get(name=name))


def create_provider(iam, project, pool_id="aws-pool", provider_id="aws-111122223333", body=None):
    body = body if body is not None else {"aws": {"accountId": "111122223333"}, "attributeCondition": CONDITION}
    op = providers(iam).create(parent=f"projects/{project}/locations/global/workloadIdentityPools/{pool_id}",
                               workloadIdentityPoolProviderId=provider_id, body=body).execute()
    return wait(op, lambda name: providers(iam).operations().get(name=name))


def raises(call, status: int) -> dict:
    with pytest.raises(HttpError) as e:
        call.execute()
    assert e.value.status_code == status, e.value.content
    return error_body(e.value)


# -- pools ---------------------------------------------------------------------------------------

def test_pool_create_through_its_operation_then_get(iam, project, number):
    op = pools(iam).create(parent=f"projects/{project}/locations/global", workloadIdentityPoolId="aws-pool",
                           body={"displayName": "AWS workloads", "description": "EC2 and Lambda"}).execute()
    name = f"projects/{number}/locations/global/workloadIdentityPools/aws-pool"
    assert op["name"].startswith(name + "/operations/") and not op.get("done")
    done = wait(op, lambda n: pools(iam).operations().get(name=n))
    assert done["response"]["@type"] == "type.googleapis.com/google.iam.v1.WorkloadIdentityPool"
    assert done["response"]["name"] == name
    got = pools(iam).get(name=f"projects/{project}/locations/global/workloadIdentityPools/aws-pool").execute()
    assert got == {"name": name, "displayName": "AWS workloads", "description": "EC2 and Lambda",
                   "state": "ACTIVE", "mode": "FEDERATION_ONLY"}
    assert pools(iam).get(name=name).execute() == got  # the number works in paths too


def test_bad_pool_ids_are_refused(iam, project):
    # one sandbox reset for all cases: resets cost more than the calls
    for pool_id in ["abc", "x" * 33, "Upper-case", "under_score", "gcp-reserved", ""]:
        err = raises(pools(iam).create(parent=f"projects/{project}/locations/global",
                                       workloadIdentityPoolId=pool_id, body={}), 400)
        assert err["status"] == "INVALID_ARGUMENT", pool_id
    assert "workloadIdentityPools" not in pools(iam).list(parent=f"projects/{project}/locations/global").execute()


def test_display_name_and_location_limits(iam, project):
    raises(pools(iam).create(parent=f"projects/{project}/locations/global", workloadIdentityPoolId="aws-pool",
                             body={"displayName": "x" * 33}), 400)
    raises(pools(iam).create(parent=f"projects/{project}/locations/global", workloadIdentityPoolId="aws-pool",
                             body={"description": "x" * 257}), 400)
    raises(pools(iam).create(parent=f"projects/{project}/locations/us-east1", workloadIdentityPoolId="aws-pool",
                             body={}), 400)


def test_patch_needs_an_update_mask_and_changes_only_its_fields(iam, project):
    create_pool(iam, project, displayName="Old", description="keep me")
    name = f"projects/{project}/locations/global/workloadIdentityPools/aws-pool"
    raises(pools(iam).patch(name=name, body={"displayName": "New"}), 400)
    raises(pools(iam).patch(name=name, updateMask="mode", body={"mode": "TRUST_DOMAIN"}), 400)
    op = pools(iam).patch(name=name, updateMask="displayName,disabled",
                          body={"displayName": "New", "description": "ignored", "disabled": True}).execute()
    done = wait(op, lambda n: pools(iam).operations().get(name=n))
    assert done["response"]["displayName"] == "New"
    got = pools(iam).get(name=name).execute()
    assert (got["displayName"], got["description"], got["disabled"]) == ("New", "keep me", True)


def test_soft_delete_recreate_conflict_and_undelete(iam, project):
    create_pool(iam, project)
    create_pool(iam, project, "other-pool")
    name = f"projects/{project}/locations/global/workloadIdentityPools/aws-pool"
    done = wait(pools(iam).delete(name=name).execute(), lambda n: pools(iam).operations().get(name=n))
    assert done["response"]["state"] == "DELETED"

    got = pools(iam).get(name=name).execute()
    assert got["state"] == "DELETED" and got["expireTime"].endswith("Z")
    parent = f"projects/{project}/locations/global"
    listed = pools(iam).list(parent=parent).execute()["workloadIdentityPools"]
    assert [p["name"].rsplit("/", 1)[1] for p in listed] == ["other-pool"]
    listed = pools(iam).list(parent=parent, showDeleted=True).execute()["workloadIdentityPools"]
    assert [p["name"].rsplit("/", 1)[1] for p in listed] == ["aws-pool", "other-pool"]

    raises(pools(iam).patch(name=name, updateMask="displayName", body={"displayName": "x"}), 400)
    err = raises(pools(iam).create(parent=parent, workloadIdentityPoolId="aws-pool", body={}), 409)
    assert (err["message"], err["status"]) == ("Requested entity already exists", "ALREADY_EXISTS")  # A5

    done = wait(pools(iam).undelete(name=name, body={}).execute(), lambda n: pools(iam).operations().get(name=n))
    assert done["response"]["state"] == "ACTIVE"
    got = pools(iam).get(name=name).execute()
    assert got["state"] == "ACTIVE" and "expireTime" not in got


def test_deleted_pools_are_purged_after_30_days(sandbox, iam, project):
    create_pool(iam, project)
    name = f"projects/{project}/locations/global/workloadIdentityPools/aws-pool"
    pools(iam).delete(name=name).execute()
    with sandbox.lock:  # 30 days pass for this pool (the clock knob would also expire the caller's JWT)
        sandbox.google.project(project).pools["aws-pool"].expire_time = sandbox.clock.now() - 1
    raises(pools(iam).get(name=name), 404)
    raises(pools(iam).undelete(name=name, body={}), 404)
    assert create_pool(iam, project)["response"]["state"] == "ACTIVE"


def test_list_pages(iam, project):
    for i in range(5):
        create_pool(iam, project, f"pool-{i}")
    seen, token = [], None
    while True:
        page = pools(iam).list(parent=f"projects/{project}/locations/global", pageSize=2,
                               pageToken=token).execute()
        seen += [p["name"].rsplit("/", 1)[1] for p in page["workloadIdentityPools"]]
        token = page.get("nextPageToken")
        if not token:
            break
    assert seen == [f"pool-{i}" for i in range(5)]


def test_unknown_pool_is_404(iam, project):
    err = raises(pools(iam).get(name=f"projects/{project}/locations/global/workloadIdentityPools/nope"), 404)
    assert err["status"] == "NOT_FOUND"


# -- providers -----------------------------------------------------------------------------------

def test_aws_provider_crud(iam, project, number):
    create_pool(iam, project)
    done = create_provider(iam, project)
    name = f"projects/{number}/locations/global/workloadIdentityPools/aws-pool/providers/aws-111122223333"
    assert done["name"].startswith(name + "/operations/")
    assert done["response"]["@type"] == "type.googleapis.com/google.iam.v1.WorkloadIdentityPoolProvider"
    got = providers(iam).get(name=name).execute()
    assert got["aws"] == {"accountId": "111122223333"} and got["attributeCondition"] == CONDITION
    assert got["state"] == "ACTIVE"

    op = providers(iam).patch(name=name, updateMask="attributeCondition,disabled",
                              body={"attributeCondition": "true", "disabled": True}).execute()
    wait(op, lambda n: providers(iam).operations().get(name=n))
    got = providers(iam).get(name=name).execute()
    assert (got["attributeCondition"], got["disabled"]) == ("true", True)

    pool_parent = f"projects/{project}/locations/global/workloadIdentityPools/aws-pool"
    wait(providers(iam).delete(name=name).execute(), lambda n: providers(iam).operations().get(name=n))
    assert providers(iam).get(name=name).execute()["state"] == "DELETED"
    assert "workloadIdentityPoolProviders" not in providers(iam).list(parent=pool_parent).execute()
    assert len(providers(iam).list(parent=pool_parent, showDeleted=True).execute()
               ["workloadIdentityPoolProviders"]) == 1
    err = raises(providers(iam).create(parent=pool_parent, workloadIdentityPoolProviderId="aws-111122223333",
                                       body={"aws": {"accountId": "111122223333"}}), 409)
    assert err["message"] == "Requested entity already exists"
    raises(providers(iam).patch(name=name, updateMask="disabled", body={"disabled": False}), 400)
    wait(providers(iam).undelete(name=name, body={}).execute(), lambda n: providers(iam).operations().get(name=n))
    assert providers(iam).get(name=name).execute()["state"] == "ACTIVE"


def test_oidc_provider_for_eks(iam, project, endpoints):
    create_pool(iam, project)
    issuer = endpoints["aws"]["eks"]["issuer"]
    body = {"oidc": {"issuerUri": issuer, "allowedAudiences": ["sts.amazonaws.com"]},
            "attributeMapping": {"google.subject": "assertion.sub"}}
    done = create_provider(iam, project, provider_id="eks-xwiz-demo", body=body)
    assert done["response"]["oidc"] == {"issuerUri": issuer, "allowedAudiences": ["sts.amazonaws.com"]}
    name = f"projects/{project}/locations/global/workloadIdentityPools/aws-pool/providers/eks-xwiz-demo"
    op = providers(iam).patch(name=name, updateMask="oidc.allowedAudiences",
                              body={"oidc": {"allowedAudiences": ["sts.amazonaws.com", "xwiz"]}}).execute()
    wait(op, lambda n: providers(iam).operations().get(name=n))
    got = providers(iam).get(name=name).execute()["oidc"]
    assert got == {"issuerUri": issuer, "allowedAudiences": ["sts.amazonaws.com", "xwiz"]}


SUBJECT = {"google.subject": "assertion.sub"}
AWS = {"accountId": "111122223333"}
INVALID_PROVIDERS = {
    "short-account": {"aws": {"accountId": "1234"}},
    "no-account": {"aws": {}},
    "http-issuer": {"oidc": {"issuerUri": "http://oidc.example.com"}, "attributeMapping": SUBJECT},
    "11-audiences": {"oidc": {"issuerUri": "https://oidc.example.com",
                              "allowedAudiences": [f"a{i}" for i in range(11)]}, "attributeMapping": SUBJECT},
    "long-audience": {"oidc": {"issuerUri": "https://oidc.example.com", "allowedAudiences": ["a" * 257]},
                      "attributeMapping": SUBJECT},
    "oidc-no-mapping": {"oidc": {"issuerUri": "https://oidc.example.com"}},  # OIDC needs google.subject
    "condition-syntax": {"aws": AWS, "attributeCondition": "assertion.arn.startsWith('x'"},
    "mapping-no-subject": {"aws": AWS, "attributeMapping": {"attribute.aws_role": "assertion.arn"}},
    "two-types": {"aws": AWS, "oidc": {"issuerUri": "https://oidc.example.com"}},
    "no-type": {},
}


def test_invalid_providers_are_refused(iam, project):
    create_pool(iam, project)
    parent = f"projects/{project}/locations/global/workloadIdentityPools/aws-pool"
    for case, body in INVALID_PROVIDERS.items():
        err = raises(providers(iam).create(parent=parent, workloadIdentityPoolProviderId="bad-provider", body=body),
                     400)
        assert err["status"] == "INVALID_ARGUMENT", case
    assert "workloadIdentityPoolProviders" not in providers(iam).list(parent=parent, showDeleted=True).execute()


def test_a_condition_syntax_error_on_patch_is_400_and_changes_nothing(iam, project):
    create_pool(iam, project)
    create_provider(iam, project)
    name = f"projects/{project}/locations/global/workloadIdentityPools/aws-pool/providers/aws-111122223333"
    raises(providers(iam).patch(name=name, updateMask="attributeCondition",
                                body={"attributeCondition": "assertion.arn =="}), 400)
    assert providers(iam).get(name=name).execute()["attributeCondition"] == CONDITION


def test_provider_type_is_immutable(iam, project):
    create_pool(iam, project)
    create_provider(iam, project)
    name = f"projects/{project}/locations/global/workloadIdentityPools/aws-pool/providers/aws-111122223333"
    raises(providers(iam).patch(name=name, updateMask="oidc",
                                body={"oidc": {"issuerUri": "https://oidc.example.com"}}), 400)
    assert "oidc" not in providers(iam).get(name=name).execute()


def test_providers_of_a_deleted_pool_cannot_be_created(iam, project):
    create_pool(iam, project)
    pools(iam).delete(name=f"projects/{project}/locations/global/workloadIdentityPools/aws-pool").execute()
    raises(providers(iam).create(parent=f"projects/{project}/locations/global/workloadIdentityPools/aws-pool",
                                 workloadIdentityPoolProviderId="aws-1",
                                 body={"aws": {"accountId": "111122223333"}}), 400)


# -- service accounts ---------------------------------------------------------------------------

def test_service_account_lifecycle(iam, project):
    accounts = iam.projects().serviceAccounts()
    sa = accounts.create(name=f"projects/{project}", body={
        "accountId": "xwiz-federated", "serviceAccount": {"displayName": "Federated", "description": "AWS"}}).execute()
    email = f"xwiz-federated@{project}.iam.gserviceaccount.com"
    assert sa["email"] == email and sa["uniqueId"] == sa["oauth2ClientId"] and sa["uniqueId"].isdigit()

    assert accounts.get(name=f"projects/{project}/serviceAccounts/{sa['uniqueId']}").execute() == sa
    assert accounts.get(name=f"projects/-/serviceAccounts/{email}").execute() == sa
    listed = accounts.list(name=f"projects/{project}").execute()["accounts"]
    assert email in [a["email"] for a in listed]

    err = raises(accounts.create(name=f"projects/{project}", body={"accountId": "xwiz-federated"}), 409)
    assert err["status"] == "ALREADY_EXISTS"
    assert err["message"] == f"Service account xwiz-federated already exists within project projects/{project}."

    assert accounts.delete(name=f"projects/{project}/serviceAccounts/{email}").execute() == {}
    err = raises(accounts.get(name=f"projects/-/serviceAccounts/{email}"), 404)
    assert (err["message"], err["status"]) == ("Unknown service account", "NOT_FOUND")
    again = accounts.create(name=f"projects/{project}", body={"accountId": "xwiz-federated"}).execute()
    assert again["uniqueId"] != sa["uniqueId"]  # uniqueIds are never reused
    raises(accounts.get(name=f"projects/-/serviceAccounts/{sa['uniqueId']}"), 404)


def test_bad_account_ids_are_refused(iam, project):
    for account_id in ["short", "x" * 31, "1starts-with-digit", "ends-with-hyphen-", "Upper-case-id",
                       "under_score_id"]:
        raises(iam.projects().serviceAccounts().create(name=f"projects/{project}", body={"accountId": account_id}),
               400)


def _sa_name(endpoints):
    return f"projects/-/serviceAccounts/{endpoints['gcp']['workload_service_account']}"


def test_sa_policy_stale_etag_is_aborted(iam, endpoints):
    accounts = iam.projects().serviceAccounts()
    name = _sa_name(endpoints)
    policy = accounts.getIamPolicy(resource=name, options_requestedPolicyVersion=3).execute()
    assert "bindings" not in policy and policy["etag"]
    policy["bindings"] = [{"role": "roles/iam.workloadIdentityUser", "members": ["user:ana@example.com"]}]
    written = accounts.setIamPolicy(resource=name, body={"policy": policy}).execute()
    assert written["etag"] != policy["etag"]
    err = raises(accounts.setIamPolicy(resource=name, body={"policy": policy}), 409)  # A4
    assert err == {"code": 409, "status": "ABORTED",
                   "message": "There were concurrent policy changes. Please retry the whole read-modify-write "
                              "with exponential backoff."}
    # no etag: an unconditional overwrite
    del policy["etag"]
    policy["bindings"][0]["members"] = ["user:bo@example.com"]
    overwritten = accounts.setIamPolicy(resource=name, body={"policy": policy}).execute()
    assert overwritten["bindings"][0]["members"] == ["user:bo@example.com"]


def test_sa_policy_writes_are_recorded_for_propagation(sandbox, iam, endpoints):
    accounts = iam.projects().serviceAccounts()
    policy = accounts.getIamPolicy(resource=_sa_name(endpoints)).execute()
    policy["bindings"] = [{"role": "roles/iam.workloadIdentityUser", "members": ["user:ana@example.com"]}]
    accounts.setIamPolicy(resource=_sa_name(endpoints), body={"policy": policy}).execute()
    with sandbox.lock:
        sa = sandbox.google.find_service_account(endpoints["gcp"]["workload_service_account"])
        assert sa.history[-1].bindings == policy["bindings"]


def test_concurrent_read_modify_write_with_retry_loses_no_member(endpoints, iam):
    name = _sa_name(endpoints)
    writers = 20
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        client = build("iam", "v1", endpoints).projects().serviceAccounts()  # httplib2 is not thread-safe
        member = f"user:writer-{i}@example.com"
        try:
            for attempt in range(60):
                policy = client.getIamPolicy(resource=name).execute()
                bindings = policy.setdefault("bindings", [])
                role = next((b for b in bindings if b["role"] == "roles/iam.workloadIdentityUser"), None)
                if role is None:
                    role = {"role": "roles/iam.workloadIdentityUser", "members": []}
                    bindings.append(role)
                role["members"].append(member)
                try:
                    client.setIamPolicy(resource=name, body={"policy": policy}).execute()
                    return
                except HttpError as e:
                    if e.status_code != 409:
                        raise
                    time.sleep(random.uniform(0, 0.01 * 2 ** min(attempt, 5)))
            raise AssertionError(f"writer {i} never landed")
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    final = iam.projects().serviceAccounts().getIamPolicy(resource=name).execute()
    members = final["bindings"][0]["members"]
    assert sorted(members) == sorted(f"user:writer-{i}@example.com" for i in range(writers))


POOL = "iam.googleapis.com/projects/615204081942/locations/global/workloadIdentityPools/aws-pool"


UNKNOWN_TYPE = [
    f"principleSet://{POOL}/*",
    "principalSet://iam.googleapis.com/something-gh-id-pool/attribute.repository/my-gh-org/somerepo",
    "robot:someone@example.com",
]
INVALID_PRINCIPAL_SET = [

    f"principalSet://{POOL}/attributes.aws_role/arn:aws:sts::111122223333:assumed-role/app",
    f"principalSet://{POOL}/subject/arn:aws:sts::111122223333:assumed-role/app/i-0abc",
    f"principalSet://{POOL}/providers/aws-111122223333/attribute.aws_role/arn:aws:sts::111122223333:assumed-role/app",
]
WELL_FORMED = [
    f"principalSet://{POOL}/attribute.aws_role/arn:aws:sts::111122223333:assumed-role/app",
    f"principalSet://{POOL}/attribute.aws_role/app",  # M01: a bare role name is valid syntax, and never matches
    f"principalSet://{POOL}/*",
    f"principalSet://{POOL}/group/admins",
    f"principal://{POOL}/subject/arn:aws:sts::111122223333:assumed-role/app/i-0abc",
    "serviceAccount:ci@xwiz-sandbox.iam.gserviceaccount.com",
    "deleted:serviceAccount:old@xwiz-sandbox.iam.gserviceaccount.com?uid=123456789",
]


def _set_members(iam, endpoints, members):
    policy = {"bindings": [{"role": "roles/iam.workloadIdentityUser", "members": members}]}
    return iam.projects().serviceAccounts().setIamPolicy(resource=_sa_name(endpoints), body={"policy": policy})


def test_unknown_member_types_are_a1(iam, endpoints):
    for member in UNKNOWN_TYPE:
        err = raises(_set_members(iam, endpoints, [member]), 400)
        assert err["message"] == (f"The member {member} is of an unknown type. Please set a valid type prefix "
                                  f"for the member.")


def test_invalid_principal_sets_are_a2(iam, endpoints):
    for member in INVALID_PRINCIPAL_SET:
        err = raises(_set_members(iam, endpoints, [member]), 400)
        assert (err["message"], err["status"]) == ("Invalid principalSet member", "INVALID_ARGUMENT"), member


def test_gke_members_name_a_pool_the_sandbox_lacks_a3(iam, endpoints):
    err = raises(_set_members(iam, endpoints, ["serviceAccount:xwiz-sandbox.svc.id.goog[apps/billing]"]), 400)
    assert err["message"].startswith("Identity Pool does not exist (xwiz-sandbox.svc.id.goog).")


def test_well_formed_members_are_accepted(iam, endpoints):
    written = _set_members(iam, endpoints, WELL_FORMED).execute()
    assert written["bindings"][0]["members"] == WELL_FORMED


def test_aws_account_id_must_be_ascii_digits(sandbox, endpoints):
    """Python's \\d matches Arabic-Indic digits; Google's accountId field takes 0-9 only."""
    from googleapiclient.errors import HttpError

    from .google_admin_clients import cached, wait

    project = endpoints["gcp"]["project_id"]
    sandbox.google.project(project).services["iam.googleapis.com"] = "ENABLED"
    pools = cached("iam", "v1", endpoints).projects().locations().workloadIdentityPools()
    wait(pools.create(parent=f"projects/{project}/locations/global", workloadIdentityPoolId="digits-pool",
                      body={}).execute(), lambda n: pools.operations().get(name=n))
    try:
        pools.providers().create(parent=f"projects/{project}/locations/global/workloadIdentityPools/digits-pool",
                                 workloadIdentityPoolProviderId="aws-digits",
                                 body={"aws": {"accountId": "١١١١٢٢٢٢٣٣٣٣"}}).execute()
    except HttpError as e:
        assert e.resp.status == 400
    else:
        raise AssertionError("a non-ASCII account ID was accepted")
