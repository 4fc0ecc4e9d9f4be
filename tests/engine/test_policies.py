"""Other people's bindings and audit configs survive apply; concurrent writers to one policy lose nothing."""

from __future__ import annotations

import threading

from tests.sandbox.google_admin_clients import cached, wait
from wizard.cloud.endpoints import Endpoints
from wizard.engine.applier import Applier
from wizard.engine.planner import Planner
from wizard.model.plan import Step
from wizard.model.spec import loads_spec
from wizard.sandbox import identities as ids
from wizard.services import Services

from .helpers import SA, SPEC, clean_aws_env, sa_members, write_spec, xwiz

PROJECT = ids.PROJECT_ID
FOREIGN_PROJECT_MEMBER = "user:alice@example.com"
FOREIGN_SA_MEMBER = "group:ops@example.com"


def _seed_foreign_state(endpoints) -> None:
    """Someone else's grants, made with googleapiclient before xwiz runs."""
    usage = cached("serviceusage", "v1", endpoints)
    op = usage.services().batchEnable(parent=f"projects/{PROJECT}", body={"serviceIds": [
        "iam.googleapis.com", "cloudresourcemanager.googleapis.com"]}).execute()
    wait(op, lambda name: usage.operations().get(name=name))
    crm = cached("cloudresourcemanager", "v1", endpoints)
    policy = crm.projects().getIamPolicy(resource=PROJECT, body={}).execute()
    policy.setdefault("bindings", []).append({"role": "roles/viewer", "members": [FOREIGN_PROJECT_MEMBER]})
    policy["auditConfigs"] = [{"service": "storage.googleapis.com", "auditLogConfigs": [
        {"logType": "DATA_WRITE", "exemptedMembers": [FOREIGN_PROJECT_MEMBER]}]}]
    crm.projects().setIamPolicy(resource=PROJECT, body={"policy": policy,
                                                        "updateMask": "bindings,etag,auditConfigs"}).execute()
    iam = cached("iam", "v1", endpoints)
    iam.projects().serviceAccounts().create(name=f"projects/{PROJECT}", body={"accountId": "app-runner"}).execute()
    sa_policy = {"bindings": [{"role": "roles/iam.serviceAccountTokenCreator", "members": [FOREIGN_SA_MEMBER]},
                              {"role": "roles/iam.workloadIdentityUser", "members": [FOREIGN_SA_MEMBER]}]}
    iam.projects().serviceAccounts().setIamPolicy(resource=f"projects/-/serviceAccounts/{SA}",
                                                  body={"policy": sa_policy}).execute()


def test_foreign_bindings_and_audit_configs_survive(sandbox, endpoints, tmp_path, monkeypatch):
    clean_aws_env(monkeypatch, tmp_path, endpoints)
    _seed_foreign_state(endpoints)
    result = xwiz(sandbox, "apply", "-f", str(write_spec(tmp_path)), "--auto-approve", "--no-verify")
    assert result.exit_code == 0, result.output

    members = sa_members(endpoints)
    assert f"roles/iam.serviceAccountTokenCreator {FOREIGN_SA_MEMBER}" in members
    assert f"roles/iam.workloadIdentityUser {FOREIGN_SA_MEMBER}" in members
    assert sum(m.startswith("roles/iam.workloadIdentityUser ") for m in members) == 4  # 3 of ours + the foreign one

    policy = cached("cloudresourcemanager", "v1", endpoints).projects().getIamPolicy(
        resource=PROJECT, body={}).execute()
    bindings = {(b["role"], m) for b in policy["bindings"] for m in b["members"]}
    assert ("roles/viewer", FOREIGN_PROJECT_MEMBER) in bindings
    assert ("roles/storage.objectViewer", f"serviceAccount:{SA}") in bindings
    audits = {c["service"]: c["auditLogConfigs"] for c in policy["auditConfigs"]}
    assert audits["storage.googleapis.com"] == [{"logType": "DATA_WRITE", "exemptedMembers": [FOREIGN_PROJECT_MEMBER]}]
    assert {c["logType"] for c in audits["iam.googleapis.com"]} == {"ADMIN_READ", "DATA_READ", "DATA_WRITE"}
    assert "sts.googleapis.com" in audits


def test_twenty_concurrent_writers_lose_nothing(sandbox, endpoints, tmp_path):
    _seed_foreign_state(endpoints)
    services = Services(Endpoints.from_sandbox(endpoints))
    planner = Planner(services, loads_spec(SPEC), tmp_path)
    number = ids.PROJECT_NUMBER
    members = [f"principalSet://iam.googleapis.com/projects/{number}/locations/global/workloadIdentityPools/"
               f"aws-pool/attribute.aws_role/arn:aws:sts::111122223333:assumed-role/role-{i}" for i in range(20)]
    start = threading.Barrier(20)
    outcomes: list[str] = []

    def writer(member: str) -> None:
        # each writer is its own Applier with its own Services (its own HTTP connections and token)
        own = Services(Endpoints.from_sandbox(endpoints))
        applier = Applier(own, Planner(own, planner.spec, tmp_path))
        step = Step(f"sa_binding:{SA}", "sa_binding", "update", "", "", desired={"members": [member]})
        start.wait()
        outcomes.append(applier._apply_sa_binding(step, lambda event: None))

    threads = [threading.Thread(target=writer, args=(m,)) for m in members]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes == ["bound 1 member(s)"] * 20
    have = sa_members(endpoints)
    assert {f"roles/iam.workloadIdentityUser {m}" for m in members} <= have
    assert f"roles/iam.serviceAccountTokenCreator {FOREIGN_SA_MEMBER}" in have
    assert f"roles/iam.workloadIdentityUser {FOREIGN_SA_MEMBER}" in have
