"""Properties of what the engine writes: every foreign statement kept, the aud trap never written,
and the service accounts let in unless someone else's Deny says otherwise."""

from __future__ import annotations

from hypothesis import event, given, settings
from hypothesis import strategies as st

from wizard.engine import gcp_to_aws
from wizard.model import trustpolicy as tp
from wizard.model.spec import GcpToAws

UIDS = ["104215123456789012345", "117000000000000000001", "100000000000000000042"]
AUDIENCES = ["https://gcp-app.example.com", "batch", "sts.amazonaws.com"]
AUD_VALUES = UIDS + AUDIENCES + ["app@p.iam.gserviceaccount.com", "1234-abc.apps.googleusercontent.com", "1*"]

google_condition = st.dictionaries(
    st.sampled_from(["StringEquals", "StringLike", "StringNotEquals"]),
    st.dictionaries(st.sampled_from(["accounts.google.com:aud", "accounts.google.com:oaud",
                                     "accounts.google.com:sub"]),
                    st.one_of(st.sampled_from(AUD_VALUES), st.lists(st.sampled_from(AUD_VALUES), min_size=1,
                                                                    max_size=2)),
                    min_size=1, max_size=3),
    min_size=1, max_size=2)


@st.composite
def foreign_statement(draw, index):
    stmt = {"Sid": f"Foreign{index}"} if draw(st.booleans()) else {}
    stmt["Effect"] = draw(st.sampled_from(["Allow", "Allow", "Deny"]))
    stmt["Principal"] = draw(st.sampled_from([{"Federated": "accounts.google.com"}, {"Service": "ec2.amazonaws.com"},
                                              {"AWS": "arn:aws:iam::111122223333:root"}]))
    stmt["Action"] = draw(st.sampled_from(["sts:AssumeRoleWithWebIdentity", "sts:AssumeRole", "sts:*"]))
    if draw(st.booleans()):
        stmt["Condition"] = draw(google_condition)
    return stmt


@st.composite
def scenario(draw):
    n_foreign = draw(st.integers(0, 4))
    statements = [draw(foreign_statement(i)) for i in range(n_foreign)]
    chosen = draw(st.lists(st.sampled_from(range(len(UIDS))), min_size=1, max_size=3, unique=True))
    entries = [GcpToAws(f"sa{i}-app@p.iam.gserviceaccount.com", "111122223333", "r",
                        draw(st.sampled_from(AUDIENCES))) for i in chosen]
    unique_ids = {e.service_account: UIDS[i] for e, i in zip(entries, chosen)}
    if statements and draw(st.booleans()):  # xwiz was here before, perhaps with another audience
        e = draw(st.sampled_from(entries))
        statements.insert(draw(st.integers(0, len(statements))),
                          tp.build_statement(unique_ids[e.service_account], draw(st.sampled_from(AUDIENCES))))
    existing = {"Version": "2012-10-17", "Statement": statements} if statements else None
    return existing, entries, unique_ids


@settings(max_examples=400, deadline=None)
@given(scenario())
def test_engine_merge_keeps_foreign_statements_and_never_writes_the_trap(case):
    existing, entries, unique_ids = case
    group = gcp_to_aws.RoleGroup("111122223333", "r", list(enumerate(entries)))
    ours = {tp.statement_sid(uid) for uid in unique_ids.values()}
    try:
        policy, _ = gcp_to_aws.merged_policy(existing, gcp_to_aws._statements(group, unique_ids))
    except tp.TrustPolicyTooLarge as exc:  # IAM's quota: refused with the numbers, nothing written
        event("refused (over the trust policy length quota)")
        assert exc.length > tp.TRUST_POLICY_MAX_LENGTH
        return
    before = [s for s in (existing or {}).get("Statement", []) if s.get("Sid") not in ours]
    after = [s for s in policy["Statement"] if s.get("Sid") not in ours]
    assert after == before  # same objects, same order: nothing foreign dropped or edited

    trap_in_foreign = any(f.code == "trust-policy-aud-is-azp" for f in tp.lint({"Statement": before}))
    try:
        warnings = gcp_to_aws.guard(policy, group, unique_ids)
    except gcp_to_aws.TrustPolicyRefused:
        event("refused (aud trap in a foreign statement)")
        assert trap_in_foreign
        return
    assert not trap_in_foreign
    assert not [f for f in tp.lint(policy) if f.code == "trust-policy-aud-is-azp"]
    for entry in entries:
        uid = unique_ids[entry.service_account]
        verdict = tp.evaluate(policy, {"iss": "https://accounts.google.com", "aud": entry.audience, "azp": uid,
                                       "sub": uid})
        if verdict.allowed:
            event("written and admits every service account")
        else:  # only someone else's Deny can keep one out, and then the plan says so
            event("written; a foreign Deny keeps a service account out")
            assert "Deny" in verdict.reason or "denies" in verdict.reason, verdict.reason
            assert any(entry.service_account in w for w in warnings)
