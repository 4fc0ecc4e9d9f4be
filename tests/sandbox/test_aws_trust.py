"""The sandbox's trust-policy evaluator (a pure function) on AWS's rules."""

from __future__ import annotations

from wizard.sandbox.aws.trust import evaluate_trust

ACTION = "sts:AssumeRoleWithWebIdentity"
GOOGLE = {"Federated": "accounts.google.com"}


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(condition=None, principal=GOOGLE, action=ACTION, effect="Allow"):
    stmt = {"Effect": effect, "Principal": principal, "Action": action}
    if condition is not None:
        stmt["Condition"] = condition
    return stmt


def ctx(**keys):
    out = {"principal": GOOGLE}
    out.update({k.replace("__", ":").replace("_", "."): v for k, v in keys.items()})
    return out


GOOGLE_CTX = {"principal": GOOGLE, "accounts.google.com:aud": "1234", "accounts.google.com:oaud": "https://x",
              "accounts.google.com:sub": "1234"}


def test_allow_with_matching_conditions():
    ok, reason = evaluate_trust(policy(allow({"StringEquals": {"accounts.google.com:aud": "1234",
                                                               "accounts.google.com:sub": ["9", "1234"]}})),
                                ACTION, GOOGLE_CTX)
    assert ok, reason


def test_condition_mismatch_names_the_key():
    ok, reason = evaluate_trust(policy(allow({"StringEquals": {"accounts.google.com:aud": "https://x"}})),
                                ACTION, GOOGLE_CTX)
    assert not ok
    assert "accounts.google.com:aud" in reason and "'1234'" in reason


def test_explicit_deny_wins():
    ok, reason = evaluate_trust(policy(allow(), allow(effect="Deny")), ACTION, GOOGLE_CTX)
    assert not ok and "explicit deny" in reason


def test_principal_and_action_must_match():
    assert not evaluate_trust(policy(allow(principal={"Federated": "cognito-identity.amazonaws.com"})),
                              ACTION, GOOGLE_CTX)[0]
    assert not evaluate_trust(policy(allow(action="sts:AssumeRole")), ACTION, GOOGLE_CTX)[0]
    assert evaluate_trust(policy(allow(action=["sts:Tag*", "STS:AssumeRoleWith*"])), ACTION, GOOGLE_CTX)[0]
    assert evaluate_trust(policy(allow(principal="*")), ACTION, GOOGLE_CTX)[0]


def test_string_like_and_ignore_case():
    assert evaluate_trust(policy(allow({"StringLike": {"accounts.google.com:oaud": "https://?"}})),
                          ACTION, GOOGLE_CTX)[0]
    assert not evaluate_trust(policy(allow({"StringLike": {"accounts.google.com:oaud": "http:*"}})),
                              ACTION, GOOGLE_CTX)[0]
    assert evaluate_trust(policy(allow({"StringEqualsIgnoreCase": {"accounts.google.com:oaud": "HTTPS://X"}})),
                          ACTION, GOOGLE_CTX)[0]
    assert evaluate_trust(policy(allow({"StringNotLike": {"accounts.google.com:sub": "9*"}})), ACTION, GOOGLE_CTX)[0]


def test_key_names_are_case_insensitive():
    assert evaluate_trust(policy(allow({"StringEquals": {"Accounts.Google.com:AUD": "1234"}})), ACTION, GOOGLE_CTX)[0]


def test_missing_keys():
    only_principal = {"principal": GOOGLE}
    assert not evaluate_trust(policy(allow({"StringEquals": {"accounts.google.com:oaud": "x"}})),
                              ACTION, only_principal)[0]
    assert evaluate_trust(policy(allow({"StringEqualsIfExists": {"accounts.google.com:oaud": "x"}})),
                          ACTION, only_principal)[0]
    assert evaluate_trust(policy(allow({"Null": {"accounts.google.com:oaud": "true"}})), ACTION, only_principal)[0]
    assert not evaluate_trust(policy(allow({"Null": {"accounts.google.com:oaud": False}})),
                              ACTION, only_principal)[0]
    assert evaluate_trust(policy(allow({"ForAllValues:StringEquals": {"x:amr": "a"}})), ACTION, only_principal)[0]
    assert not evaluate_trust(policy(allow({"ForAnyValue:StringEquals": {"x:amr": "a"}})), ACTION, only_principal)[0]


def test_set_operators_on_multi_valued_keys():
    c = {"principal": GOOGLE, "x:amr": ["authenticated", "graph.facebook.com"]}
    assert evaluate_trust(policy(allow({"ForAnyValue:StringLike": {"x:amr": "graph*"}})), ACTION, c)[0]
    assert not evaluate_trust(policy(allow({"ForAllValues:StringLike": {"x:amr": "graph*"}})), ACTION, c)[0]


def test_aws_account_principal():
    p = policy(allow(principal={"AWS": "arn:aws:iam::111122223333:root"}, action="sts:AssumeRole"))
    caller = {"principal": {"AWS": ["arn:aws:iam::111122223333:user/xwiz-admin"]}}
    assert evaluate_trust(p, "sts:AssumeRole", caller)[0]
    other = {"principal": {"AWS": ["arn:aws:iam::444455556666:user/x"]}}
    assert not evaluate_trust(p, "sts:AssumeRole", other)[0]
