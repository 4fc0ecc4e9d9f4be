from hypothesis import given, strategies as st

from wizard.model.iam_policy import add_audit_logs, add_members, members_of

member = st.from_regex(r"(user|serviceAccount|group):[a-z]{1,8}@x\.com", fullmatch=True)
role = st.sampled_from(["roles/viewer", "roles/editor", "roles/iam.workloadIdentityUser", "roles/owner"])
binding = st.fixed_dictionaries({"role": role, "members": st.lists(member, min_size=1, max_size=4, unique=True)})
policy = st.fixed_dictionaries({"bindings": st.lists(binding, max_size=5), "etag": st.just("BwX=")})


@given(policy, role, st.lists(member, max_size=4))
def test_adding_members_keeps_every_existing_member_and_is_idempotent(p, r, new):
    edit = add_members(p, {r: new})
    for b in p["bindings"]:
        for m in b["members"]:
            assert m in members_of(edit.policy, b["role"]) or any(
                m in x["members"] for x in edit.policy["bindings"] if x["role"] == b["role"])
    assert set(new) <= members_of(edit.policy, r) | {m for b in edit.policy.get("bindings", []) if b["role"] == r for m in b["members"]}
    assert not add_members(edit.policy, {r: new}).changed
    assert edit.policy["etag"] == "BwX="


def test_audit_logs_keep_other_services_and_exemptions():
    p = {"auditConfigs": [{"service": "storage.googleapis.com", "auditLogConfigs": [{"logType": "DATA_READ"}]},
                          {"service": "iam.googleapis.com",
                           "auditLogConfigs": [{"logType": "DATA_READ", "exemptedMembers": ["user:a@x.com"]}]}]}
    edit = add_audit_logs(p)
    services = {c["service"]: c for c in edit.policy["auditConfigs"]}
    assert services["storage.googleapis.com"] == p["auditConfigs"][0]
    iam_types = {c["logType"]: c for c in services["iam.googleapis.com"]["auditLogConfigs"]}
    assert iam_types["DATA_READ"]["exemptedMembers"] == ["user:a@x.com"]
    assert set(iam_types) == {"ADMIN_READ", "DATA_READ", "DATA_WRITE"}
    assert "sts.googleapis.com" in services
    assert not add_audit_logs(edit.policy).changed
