"""Fixes to the trust-policy model found while wiring the journey."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wizard.model import trustpolicy as tp

UID = "104215123456789012345"


def test_an_oauth_client_id_in_aud_is_not_the_trap():
    """AWS documents :aud for OAuth client IDs (tokens without azp, hybrid apps); only an
    audience-looking value compared with a service account's azp is the trap."""
    policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": "accounts.google.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"accounts.google.com:aud": "1234-abcd.apps.googleusercontent.com",
                                       "accounts.google.com:sub": UID}}}]}
    assert "trust-policy-aud-is-azp" not in [f.code for f in tp.lint(policy)]
    trap = {**policy, "Statement": [{**policy["Statement"][0], "Condition": {"StringEquals": {
        "accounts.google.com:aud": "https://my-app.example.com", "accounts.google.com:sub": UID}}}]}
    assert "trust-policy-aud-is-azp" in [f.code for f in tp.lint(trap)]


def test_an_audience_iam_would_read_as_a_policy_variable_is_refused():
    with pytest.raises(tp.TrustPolicyError, match="policy variable"):
        tp.build_statement(UID, "https://app/${aws:username}")
    tp.build_statement(UID, "cost: $5 {flat}")  # `$` and `{` apart are plain characters


audiences = st.text(st.sampled_from("ab$/{}:.-_ 1"), min_size=1, max_size=12).map(str.strip).filter(
    lambda a: a and "${" not in a)


@settings(max_examples=300, deadline=None)
@given(audience=audiences)
def test_a_built_policy_admits_its_own_token_whatever_the_audience(audience):
    claims = {"iss": "https://accounts.google.com", "aud": audience, "azp": UID, "sub": UID}
    verdict = tp.evaluate(tp.build_policy(UID, audience), claims)
    assert verdict.allowed, verdict.reason
