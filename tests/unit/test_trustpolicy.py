"""Trust policies for Google Cloud → AWS: builder, merger, evaluator and linter."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from wizard.model import trustpolicy as tp
from wizard.model.errors import XwizError

UID = "104215123456789012345"
OTHER_UID = "117000000000000000001"
AUD = "https://my-aud.example.com"
EMAIL = "app@xwiz-sandbox.iam.gserviceaccount.com"


def sa_token(uid=UID, aud=AUD, azp=...):
    """Claims of a service account's ID token from the metadata server / generateIdToken."""
    claims = {"iss": "https://accounts.google.com", "aud": aud, "sub": uid, "exp": 2_000_000_000}
    if azp is not ...:
        if azp is not None:
            claims["azp"] = azp
    else:
        claims["azp"] = uid
    return claims


def console_policy(audience=AUD):
    """What the AWS console's Web identity wizard writes for Google: the aud-is-azp trap."""
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": "accounts.google.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"accounts.google.com:aud": audience}}}]}


EC2_STATEMENT = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}


# --- building --------------------------------------------------------------------------------


def test_statement_pins_azp_audience_and_subject():
    stmt = tp.build_statement(UID, AUD)
    assert stmt == {
        "Sid": f"XwizGoogleFederation{UID}",
        "Effect": "Allow",
        "Principal": {"Federated": "accounts.google.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            "accounts.google.com:aud": UID,
            "accounts.google.com:oaud": AUD,
            "accounts.google.com:sub": UID,
        }},
    }


def test_statement_takes_azp_read_from_a_live_token():
    stmt = tp.build_statement(UID, AUD, azp=EMAIL)
    assert stmt["Condition"]["StringEquals"]["accounts.google.com:aud"] == EMAIL


@pytest.mark.parametrize("bad", ["", "12a", "app@p.iam.gserviceaccount.com", "1" * 31, 104215, None])
def test_unique_id_must_be_digits(bad):
    with pytest.raises(tp.TrustPolicyError, match="uniqueId"):
        tp.build_statement(bad, AUD)


@pytest.mark.parametrize("bad", ["", " https://a", "https://a\n", "x" * 1025])
def test_audience_must_be_clean_and_bounded(bad):
    with pytest.raises(tp.TrustPolicyError, match="audience"):
        tp.build_statement(UID, bad)


def test_errors_are_xwiz_input_errors():
    with pytest.raises(XwizError) as info:
        tp.build_statement("nope", AUD)
    assert info.value.exit_code == 2


def test_policy_is_small_enough_for_the_default_quota():
    policy = tp.build_policy(UID, AUD)
    assert policy["Version"] == "2012-10-17"
    assert tp.policy_length(policy) < 500
    assert json.loads(tp.policy_document(policy)) == policy


# --- merging ---------------------------------------------------------------------------------


def test_merge_into_nothing_creates_a_policy():
    result = tp.merge(None, tp.build_statement(UID, AUD))
    assert (result.action, result.changed) == ("added", True)
    assert result.policy == tp.build_policy(UID, AUD)


def test_merge_keeps_foreign_statements_version_and_id():
    existing = {"Version": "2012-10-17", "Id": "keep-me", "Statement": [EC2_STATEMENT]}
    result = tp.merge(existing, tp.build_statement(UID, AUD))
    assert result.action == "added"
    assert result.policy["Id"] == "keep-me"
    assert result.policy["Statement"][0] is EC2_STATEMENT
    assert result.policy["Statement"][1]["Sid"] == tp.statement_sid(UID)
    assert existing["Statement"] == [EC2_STATEMENT]  # input untouched


def test_merge_again_is_same():
    first = tp.merge({"Version": "2012-10-17", "Statement": [EC2_STATEMENT]}, tp.build_statement(UID, AUD))
    again = tp.merge(first.document, tp.build_statement(UID, AUD))
    assert (again.action, again.changed) == ("same", False)
    assert again.policy == first.policy


def test_new_audience_updates_in_place():
    first = tp.merge({"Version": "2012-10-17", "Statement": [tp.build_statement(UID, AUD), EC2_STATEMENT]},
                     tp.build_statement(UID, "https://new"))
    assert (first.action, first.index) == ("updated", 0)
    assert first.policy["Statement"][0]["Condition"]["StringEquals"]["accounts.google.com:oaud"] == "https://new"
    assert first.policy["Statement"][1] == EC2_STATEMENT


def test_second_service_account_gets_its_own_statement():
    one = tp.merge(None, tp.build_statement(UID, AUD))
    two = tp.merge(one.policy, tp.build_statement(OTHER_UID, AUD))
    assert two.action == "added"
    assert [s["Sid"] for s in two.policy["Statement"]] == [tp.statement_sid(UID), tp.statement_sid(OTHER_UID)]


def test_equivalent_hand_written_statement_is_same():
    hand = {"Sid": "Mine", "Effect": "Allow", "Principal": {"Federated": ["accounts.google.com"]},
            "Action": ["sts:assumerolewithwebidentity"],
            "Condition": {"StringEquals": {"accounts.google.com:sub": [UID], "Accounts.Google.com:oaud": AUD,
                                           "accounts.google.com:aud": UID}}}
    result = tp.merge({"Version": "2012-10-17", "Statement": [hand]}, tp.build_statement(UID, AUD))
    assert (result.action, result.changed, result.index) == ("same", False, 0)


def test_single_object_statement_keeps_its_shape_until_we_must_add():
    ours = tp.build_statement(UID, AUD)
    updated = tp.merge({"Version": "2012-10-17", "Statement": tp.build_statement(UID, "https://old")}, ours)
    assert updated.action == "updated" and updated.policy["Statement"] == ours
    added = tp.merge({"Version": "2012-10-17", "Statement": EC2_STATEMENT}, ours)
    assert added.action == "added" and added.policy["Statement"] == [EC2_STATEMENT, ours]


def test_policy_without_version_keeps_having_none():
    result = tp.merge({"Statement": [EC2_STATEMENT]}, tp.build_statement(UID, AUD))
    assert "Version" not in result.policy


def test_merge_reads_json_text_and_iams_url_encoding():
    text = json.dumps({"Version": "2012-10-17", "Statement": [EC2_STATEMENT]})
    for form in (text, urllib.parse.quote(text)):
        result = tp.merge(form, tp.build_statement(UID, AUD))
        assert result.policy["Statement"][0] == EC2_STATEMENT


@pytest.mark.parametrize("existing, message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "JSON object"),
    ({"Version": "2012-10-17"}, "no Statement"),
    ({"Statement": "x"}, "Statement must be"),
    ({"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}, "statement 0 has no Principal"),
    ({"Statement": [{"Sid": "A", "Effect": "allow", "Principal": "*", "Action": "x"}]}, "Sid A.*Effect"),
    ({"Version": "2020-01-01", "Statement": []}, "Version"),
])
def test_malformed_policies_name_what_is_wrong(existing, message):
    with pytest.raises(tp.TrustPolicyError, match=message):
        tp.merge(existing, tp.build_statement(UID, AUD))


def test_repeated_keys_are_refused_rather_than_dropped():
    text = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},'
            '"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"accounts.google.com:sub":"1"},'
            '"StringEquals":{"accounts.google.com:oaud":"a"}}}]}')
    with pytest.raises(tp.TrustPolicyError, match="repeats the key 'StringEquals'"):
        tp.merge(text, tp.build_statement(UID, AUD))


def test_merged_policy_over_the_quota_is_refused():
    filler = [{"Sid": f"S{i}", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{i:012d}:root"},
               "Action": "sts:AssumeRole"} for i in range(17)]
    existing = {"Version": "2012-10-17", "Statement": filler}
    assert tp.policy_length(existing) < 2048
    with pytest.raises(tp.TrustPolicyTooLarge, match="Role trust policy length") as info:
        tp.merge(existing, tp.build_statement(UID, AUD))
    assert info.value.limit == 2048 and info.value.length > 2048
    assert tp.merge(existing, tp.build_statement(UID, AUD), max_length=4096).action == "added"


def test_duplicate_xwiz_sid_is_refused():
    ours = tp.build_statement(UID, AUD)
    with pytest.raises(tp.TrustPolicyError, match="unique Sids"):
        tp.merge({"Statement": [ours, dict(ours)]}, ours)


# --- evaluating ------------------------------------------------------------------------------


def test_built_policy_admits_the_service_account():
    result = tp.evaluate(tp.build_policy(UID, AUD), sa_token())
    assert result.allowed and result.matched_sid == tp.statement_sid(UID)
    assert all(c.ok for c in result.statements[0].conditions)


def test_the_aud_trap_is_explained():
    result = tp.evaluate(console_policy(), sa_token())
    assert not result.allowed
    failed = [c for c in result.statements[0].conditions if not c.ok]
    assert [c.key for c in failed] == ["accounts.google.com:aud"]
    assert failed[0].actual == (UID,)
    assert f"compared with the token's azp ({UID}) because the token has azp" in failed[0].why
    assert "aud-is-azp trap" in failed[0].why and "accounts.google.com:oaud" in failed[0].why
    assert "aud-is-azp trap" in result.reason
    assert result.reason.startswith("Not authorized to perform sts:AssumeRoleWithWebIdentity")


def test_without_azp_aud_is_the_token_aud():
    # An OAuth client's token without azp: :aud is aud (the console policy works then); :oaud is
    # absent (the narrower reading of the AWS docs), so xwiz's own statement does not admit it.
    assert tp.evaluate(console_policy(), sa_token(azp=None)).allowed
    context = tp.google_request_context(sa_token(azp=None))
    assert context["accounts.google.com:aud"].values == (AUD,)
    assert "accounts.google.com:oaud" not in context
    result = tp.evaluate(tp.build_policy(UID, AUD), sa_token(azp=None))
    assert not result.allowed
    assert "the request does not carry accounts.google.com:oaud" in result.reason


def test_wrong_audience_names_oaud():
    result = tp.evaluate(tp.build_policy(UID, AUD), sa_token(aud="https://other"))
    failed = [c for c in result.statements[0].conditions if not c.ok]
    assert [c.key for c in failed] == ["accounts.google.com:oaud"]
    assert "requested for" in failed[0].why and "https://other" in failed[0].why


def test_email_in_sub_is_explained():
    policy = tp.build_policy(UID, AUD)
    policy["Statement"][0]["Condition"]["StringEquals"]["accounts.google.com:sub"] = EMAIL
    result = tp.evaluate(policy, sa_token())
    assert not result.allowed
    assert "numeric uniqueId, not its email" in result.reason


def test_explicit_deny_wins():
    deny = {"Effect": "Deny", "Principal": {"Federated": "accounts.google.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringLike": {"accounts.google.com:oaud": "https://my-*"}}}
    policy = {"Version": "2012-10-17", "Statement": [tp.build_statement(UID, AUD), deny]}
    result = tp.evaluate(policy, sa_token())
    assert not result.allowed and result.matched_index == 1
    assert "explicitly denies" in result.reason


def test_principal_and_action_must_match():
    other_idp = tp.build_statement(UID, AUD)
    other_idp["Principal"] = {"Federated": "cognito-identity.amazonaws.com"}
    result = tp.evaluate({"Statement": [other_idp]}, sa_token())
    assert not result.allowed and not result.statements[0].principal_ok
    assert "not accounts.google.com" in result.reason

    wrong_action = tp.build_statement(UID, AUD)
    wrong_action["Action"] = "sts:AssumeRole"
    assert not tp.evaluate({"Statement": [wrong_action]}, sa_token()).allowed

    star = tp.build_statement(UID, AUD)
    star["Principal"], star["Action"] = "*", ["sts:AssumeRoleWith*"]
    assert tp.evaluate({"Statement": [star]}, sa_token()).allowed


def test_iam_oidc_provider_for_google_is_not_the_google_principal():
    stmt = tp.build_statement(UID, AUD)
    stmt["Principal"] = {"Federated": "arn:aws:iam::111122223333:oidc-provider/accounts.google.com"}
    result = tp.evaluate({"Statement": [stmt]}, sa_token())
    assert not result.allowed
    assert "IAM OIDC provider" in result.statements[0].why


@pytest.mark.parametrize("condition, allowed", [
    ({"StringNotEquals": {"accounts.google.com:sub": OTHER_UID}}, True),
    ({"StringNotEquals": {"accounts.google.com:missing": "x"}}, True),  # negated on an absent key
    ({"StringEquals": {"accounts.google.com:missing": "x"}}, False),
    ({"StringEqualsIfExists": {"accounts.google.com:missing": "x"}}, True),
    ({"StringEqualsIgnoreCase": {"accounts.google.com:oaud": AUD.upper()}}, True),
    ({"StringLike": {"accounts.google.com:oaud": "https://my-?ud.*"}}, True),
    ({"StringNotLike": {"accounts.google.com:oaud": "https://my-*"}}, False),
    ({"StringEquals": {"accounts.google.com:sub": [OTHER_UID, UID]}}, True),  # OR within a key
    ({"StringEquals": {"accounts.google.com:sub": UID, "accounts.google.com:aud": "x"}}, False),  # AND
    ({"Null": {"accounts.google.com:aud": "false", "accounts.google.com:missing": "true"}}, True),
    ({"Null": {"accounts.google.com:aud": True}}, False),
    ({"ForAllValues:StringEquals": {"accounts.google.com:missing": "x"}}, True),  # vacuous
    ({"ForAnyValue:StringEquals": {"accounts.google.com:missing": "x"}}, False),
    ({"NumericLessThan": {"accounts.google.com:sub": "1"}}, False),  # unsupported: no grant
])
def test_condition_operators(condition, allowed):
    stmt = {"Effect": "Allow", "Principal": {"Federated": "accounts.google.com"},
            "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition}
    assert tp.evaluate({"Version": "2012-10-17", "Statement": [stmt]}, sa_token()).allowed is allowed


def test_unsupported_operator_in_a_deny_is_assumed_to_apply():
    deny = {"Effect": "Deny", "Principal": "*", "Action": "*",
            "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}
    result = tp.evaluate({"Statement": [tp.build_statement(UID, AUD), deny]}, sa_token())
    assert not result.allowed
    assert "DateLessThan" in result.reason and "assumes it does" in result.reason


def test_oidc_issuer_keys_and_provider_arn():
    issuer = "https://oidc.eks.us-east-1.amazonaws.com/id/ABCDEF"
    arn = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABCDEF"
    stmt = {"Effect": "Allow", "Principal": {"Federated": arn}, "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                "oidc.eks.us-east-1.amazonaws.com/id/ABCDEF:aud": "sts.amazonaws.com",
                "oidc.eks.us-east-1.amazonaws.com/id/ABCDEF:sub": "system:serviceaccount:ns:ksa"}}}
    claims = {"iss": issuer, "aud": ["sts.amazonaws.com"], "sub": "system:serviceaccount:ns:ksa"}
    assert tp.evaluate({"Statement": [stmt]}, claims, issuer=issuer).allowed
    assert tp.evaluate({"Statement": [stmt]}, claims, issuer=issuer, provider_arn=arn).allowed
    other_account = arn.replace("111122223333", "444455556666")
    assert not tp.evaluate({"Statement": [stmt]}, claims, issuer=issuer, provider_arn=other_account).allowed
    assert not tp.evaluate({"Statement": [stmt]}, {**claims, "sub": "system:serviceaccount:ns:other"},
                           issuer=issuer).allowed
    multi = {**claims, "aud": ["other", "sts.amazonaws.com"]}
    all_values = {**stmt, "Condition": {"ForAllValues:StringEquals": {
        "oidc.eks.us-east-1.amazonaws.com/id/ABCDEF:aud": "sts.amazonaws.com"}}}
    assert tp.evaluate({"Statement": [stmt]}, multi, issuer=issuer).allowed
    assert not tp.evaluate({"Statement": [all_values]}, multi, issuer=issuer).allowed


def test_extra_context_keys():
    stmt = tp.build_statement(UID, AUD)
    stmt["Condition"]["ForAnyValue:StringEquals"] = {"sts:RoleSessionName": ["app1"]}
    assert tp.evaluate({"Statement": [stmt]}, sa_token(), extra_context={"sts:RoleSessionName": "app1"}).allowed
    assert not tp.evaluate({"Statement": [stmt]}, sa_token(), extra_context={"sts:RoleSessionName": "x"}).allowed


def test_reasons_never_carry_a_token():
    token_like = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"
    result = tp.evaluate(console_policy(), {**sa_token(), "at_hash": token_like})
    text = result.reason + " ".join(c.why for s in result.statements for c in s.conditions)
    assert token_like not in text


# --- linting ---------------------------------------------------------------------------------


def codes(findings):
    return sorted(f.code for f in findings)


def test_xwiz_policy_is_clean():
    assert tp.lint(tp.build_policy(UID, AUD), unique_id=UID, email=EMAIL, audience=AUD) == []


def test_console_policy_hits_the_trap_and_misses_sub():
    findings = tp.lint(console_policy(), unique_id=UID, audience=AUD)
    assert codes(findings) == ["trust-policy-aud-is-azp", "trust-policy-missing-sub"]
    trap = next(f for f in findings if f.code == "trust-policy-aud-is-azp")
    assert trap.severity == "fail" and trap.statement_index == 0 and trap.misconfig == "M20"
    assert trap.fix == UID and "the audience the service account requests" in trap.message


def test_email_in_sub():
    policy = tp.build_policy(UID, AUD)
    policy["Statement"][0]["Condition"]["StringEquals"]["accounts.google.com:sub"] = EMAIL
    findings = tp.lint(policy, unique_id=UID, email=EMAIL)
    assert codes(findings) == ["trust-policy-sub-not-unique-id"]
    assert "service account's email" in findings[0].message


def test_email_in_aud_is_a_warning():
    findings = tp.lint(tp.build_policy(UID, AUD, azp=EMAIL), unique_id=UID, email=EMAIL)
    assert [(f.code, f.severity) for f in findings] == [("trust-policy-aud-is-email", "warn")]


def test_mismatches_with_the_service_account_and_audience():
    findings = tp.lint(tp.build_policy(OTHER_UID, "https://old"), unique_id=UID, audience=AUD)
    assert codes(findings) == ["id-token-audience-mismatch", "trust-policy-aud-not-unique-id",
                               "trust-policy-sub-not-unique-id"]


def test_oidc_provider_for_google():
    stmt = tp.build_statement(UID, AUD)
    stmt["Principal"] = {"Federated": "arn:aws:iam::111122223333:oidc-provider/accounts.google.com"}
    findings = tp.lint({"Statement": [stmt]},
                       oidc_providers=["arn:aws:iam::111122223333:oidc-provider/accounts.google.com"])
    assert codes(findings) == ["trust-policy-no-google-statement", "trust-policy-oidc-provider-for-google",
                               "trust-policy-oidc-provider-for-google"]
    assert {f.statement_index for f in findings} == {None, 0}


def test_other_principal_with_google_keys():
    stmt = tp.build_statement(UID, AUD)
    stmt["Principal"] = {"Federated": "cognito-identity.amazonaws.com"}
    assert "trust-policy-not-google" in codes(tp.lint({"Statement": [stmt]}))


def test_no_google_statement_at_all():
    findings = tp.lint({"Version": "2012-10-17", "Statement": [EC2_STATEMENT]})
    assert [(f.code, f.severity) for f in findings] == [("trust-policy-no-google-statement", "warn")]
