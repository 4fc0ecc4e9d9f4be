"""Differential test: xwiz's trust-policy evaluator against the sandbox's AssumeRoleWithWebIdentity gate.

The two are written apart on purpose (the sandbox imports nothing from wizard.model), so a
misreading of AWS's rules in one shows up here as a disagreement. Each generated token is signed
with the sandbox's accounts.google.com key and put through the gate's own token verification,
which builds the request context with the gate's key mapping (`:aud` → azp or aud, `:oaud`,
`:sub`); the gate's `evaluate_trust` and xwiz's `evaluate` then judge the same policy.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from wizard.model import trustpolicy as tp

trust = pytest.importorskip("wizard.sandbox.aws.trust")
gate = pytest.importorskip("wizard.sandbox.aws.gate")

UID = "104215123456789012345"
OTHER_UID = "117000000000000000001"
AUD = "https://my-aud.example.com"
EMAIL = "app@xwiz-sandbox.iam.gserviceaccount.com"
ACCOUNT = "111122223333"

KEYS = ["accounts.google.com:aud", "accounts.google.com:oaud", "accounts.google.com:sub",
        "Accounts.Google.com:SUB", "accounts.google.com:email"]
STRING_VALUES = [UID, OTHER_UID, AUD, AUD.upper(), "https://other", EMAIL, "*", "1*", "https://*",
                 "104215?23456789012345", ""]
STRING_OPERATORS = ["StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "StringEqualsIgnoreCase",
                    "StringNotEqualsIgnoreCase", "StringEqualsIfExists", "StringNotLikeIfExists",
                    "ForAnyValue:StringEquals", "ForAnyValue:StringNotLike", "ForAllValues:StringLike",
                    "ForAllValues:StringNotEquals"]

values = st.one_of(st.sampled_from(STRING_VALUES), st.lists(st.sampled_from(STRING_VALUES), max_size=3))
string_blocks = st.dictionaries(st.sampled_from(STRING_OPERATORS),
                                st.dictionaries(st.sampled_from(KEYS), values, min_size=1, max_size=3),
                                min_size=1, max_size=3)
null_blocks = st.dictionaries(st.just("Null"),
                              st.dictionaries(st.sampled_from(KEYS), st.sampled_from(["true", "false", True, False]),
                                              min_size=1, max_size=2),
                              min_size=1, max_size=1)
conditions = st.one_of(string_blocks, null_blocks, st.builds(lambda a, b: {**a, **b}, string_blocks, null_blocks))

principals = st.sampled_from([
    {"Federated": "accounts.google.com"},
    {"Federated": ["cognito-identity.amazonaws.com", "accounts.google.com"]},
    {"Federated": "cognito-identity.amazonaws.com"},
    {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/accounts.google.com"},
    {"Federated": "*"},
    {"AWS": "*"},
    {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "*",
])
actions = st.sampled_from(["sts:AssumeRoleWithWebIdentity", "sts:AssumeRole", "sts:*", "*",
                           ["sts:AssumeRole", "sts:AssumeRoleWith*"], "STS:assumerolewithwebidentity",
                           "sts:AssumeRoleWith?ebIdentity"])


@st.composite
def statements(draw):
    stmt = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    if draw(st.integers(0, 9)) == 0:
        stmt["NotPrincipal"] = {"Federated": "cognito-identity.amazonaws.com"}
    else:
        stmt["Principal"] = draw(principals)
    if draw(st.integers(0, 9)) == 0:
        stmt["NotAction"] = "sts:AssumeRole"
    else:
        stmt["Action"] = draw(actions)
    if draw(st.integers(0, 4)):
        stmt["Condition"] = draw(conditions)
    return stmt


@st.composite
def policies(draw):
    found = draw(st.lists(statements(), min_size=1, max_size=4))
    if draw(st.booleans()):
        found.insert(0, tp.build_statement(UID, draw(st.sampled_from([AUD, "https://other"]))))
    return {"Version": "2012-10-17", "Statement": found}


@st.composite
def claims(draw):
    token = {"iss": draw(st.sampled_from(["https://accounts.google.com", "accounts.google.com"])),
             "aud": draw(st.sampled_from([AUD, "https://other", UID, AUD.upper()])),
             "sub": draw(st.sampled_from([UID, OTHER_UID, EMAIL]))}
    azp = draw(st.sampled_from([UID, OTHER_UID, EMAIL, None, None]))
    if azp is not None:
        token["azp"] = azp
    if draw(st.booleans()):
        token["email"] = EMAIL
    return token


@pytest.fixture(scope="module")
def gate_context(_sandbox_session):
    """claims → the request context the sandbox's gate builds after verifying a signed token."""
    sb = _sandbox_session
    cache: dict[str, dict] = {}

    def context(token_claims: dict) -> dict:
        key = json.dumps(token_claims, sort_keys=True)
        if key not in cache:
            now = int(sb.clock.now())
            token = sb.keys.google.sign({**token_claims, "iat": now, "exp": now + 3600})
            cache[key] = gate.verify_token(sb, token, ACCOUNT).context
        return cache[key]

    return context


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policy=policies(), token_claims=claims())
def test_evaluator_agrees_with_the_sandbox_gate(gate_context, policy, token_claims):
    context = gate_context(token_claims)
    sandbox_allowed, sandbox_reason = trust.evaluate_trust(policy, gate.ACTION, context)
    ours = tp.evaluate(policy, token_claims)
    event("allowed" if sandbox_allowed else "denied")
    assert ours.allowed == sandbox_allowed, (
        f"xwiz: {ours.reason}\nsandbox: {sandbox_reason}\ncontext: {context}")


def test_the_gate_builds_the_google_keys_xwiz_expects(gate_context):
    with_azp = gate_context({"iss": "https://accounts.google.com", "aud": AUD, "azp": UID, "sub": UID})
    assert {k: v for k, v in with_azp.items() if k != trust.PRINCIPAL_KEY} == {
        "accounts.google.com:aud": UID, "accounts.google.com:oaud": AUD, "accounts.google.com:sub": UID}
    assert with_azp[trust.PRINCIPAL_KEY] == {"Federated": "accounts.google.com"}
    ours = tp.google_request_context({"aud": AUD, "azp": UID, "sub": UID})
    assert {c.name: c.values[0] for c in ours.values()} == {
        k: v for k, v in with_azp.items() if k != trust.PRINCIPAL_KEY}


# Multi-valued keys never come out of a Google token, so the set operators get their own run:
# the same request context, with keys holding lists, handed to both evaluators directly.
MULTI_KEYS = ["test:tags", "Test:Tags", "test:single", "test:absent"]
MULTI_VALUES = ["a", "b", "A", "a*", "*", "?", ""]
multi_blocks = st.dictionaries(
    st.sampled_from(STRING_OPERATORS),
    st.dictionaries(st.sampled_from(MULTI_KEYS), st.one_of(st.sampled_from(MULTI_VALUES),
                                                           st.lists(st.sampled_from(MULTI_VALUES), max_size=3)),
                    min_size=1, max_size=2),
    min_size=1, max_size=2)
request_keys = st.fixed_dictionaries({}, optional={
    "test:tags": st.lists(st.sampled_from(MULTI_VALUES), max_size=3),
    "test:single": st.sampled_from(MULTI_VALUES),
})


@settings(max_examples=400, deadline=None)
@given(effects=st.lists(st.sampled_from(["Allow", "Deny"]), min_size=1, max_size=3),
       blocks=st.lists(multi_blocks, min_size=3, max_size=3), extra=request_keys)
def test_set_operators_agree_on_multi_valued_keys(effects, blocks, extra):
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": effect, "Principal": {"Federated": "accounts.google.com"},
         "Action": "sts:AssumeRoleWithWebIdentity", "Condition": block}
        for effect, block in zip(effects, blocks)]}
    sandbox_allowed, sandbox_reason = trust.evaluate_trust(
        policy, gate.ACTION, {trust.PRINCIPAL_KEY: {"Federated": "accounts.google.com"}, **extra})
    ours = tp.evaluate(policy, {}, extra_context=extra)
    assert ours.allowed == sandbox_allowed, f"xwiz: {ours.reason}\nsandbox: {sandbox_reason}"
