"""Properties of the trust-policy merger and evaluator over generated policies and tokens."""

from __future__ import annotations

import copy
import json

from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from wizard.model import trustpolicy as tp

unique_ids = st.text("0123456789", min_size=1, max_size=30)
audiences = st.text(st.characters(categories=("L", "N", "P", "S"), max_codepoint=0x2FF), min_size=1, max_size=80)
short_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=0, max_size=20)
accounts = st.from_regex(r"[0-9]{12}", fullmatch=True)


def one_or_many(strategy):
    return st.one_of(strategy, st.lists(strategy, min_size=1, max_size=3))


principals = st.one_of(
    st.just("*"),
    st.builds(lambda a: {"AWS": a}, one_or_many(accounts.map(lambda n: f"arn:aws:iam::{n}:root"))),
    st.builds(lambda s: {"Service": s}, one_or_many(st.sampled_from(["ec2.amazonaws.com", "lambda.amazonaws.com"]))),
    st.builds(lambda f: {"Federated": f}, one_or_many(st.sampled_from([
        "accounts.google.com", "cognito-identity.amazonaws.com",
        "arn:aws:iam::111122223333:oidc-provider/accounts.google.com",
        "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"]))),
)
actions = one_or_many(st.sampled_from(["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:TagSession",
                                       "sts:*", "*", "sts:assumerolewithwebidentity"]))
operators = st.sampled_from(["StringEquals", "StringNotEquals", "StringLike", "ForAnyValue:StringLike",
                             "StringEqualsIfExists", "Null", "Bool", "NumericLessThan"])
keys = st.sampled_from(["accounts.google.com:aud", "accounts.google.com:oaud", "accounts.google.com:sub",
                        "aws:SourceIp", "sts:RoleSessionName", "Accounts.Google.com:SUB"])
conditions = st.dictionaries(operators, st.dictionaries(keys, one_or_many(short_text), min_size=1, max_size=3),
                             min_size=1, max_size=3)


@st.composite
def foreign_statements(draw):
    stmt = {}
    if draw(st.booleans()):
        stmt["Sid"] = draw(st.from_regex(r"[A-Za-z0-9]{1,12}", fullmatch=True).filter(
            lambda s: not s.startswith(tp.SID_PREFIX)))
    stmt["Effect"] = draw(st.sampled_from(["Allow", "Deny"]))
    stmt["Principal"] = draw(principals)
    stmt["Action"] = draw(actions)
    if draw(st.booleans()):
        stmt["Condition"] = draw(conditions)
    return stmt


@st.composite
def existing_policies(draw, uid, ours_audience):
    statements = draw(st.lists(foreign_statements(), max_size=6))
    # What xwiz may find already there: its statement for another service account, its statement
    # for this one (perhaps with another audience), or a hand-written equivalent of what it adds.
    previous = draw(st.sampled_from(["none", "other-sa", "this-sa", "equivalent"]))
    if previous != "none":
        audience = draw(audiences) if previous != "equivalent" else ours_audience
        stmt = tp.build_statement(draw(unique_ids) if previous == "other-sa" else uid, audience)
        if previous == "equivalent":
            del stmt["Sid"]
            stmt["Principal"] = {"Federated": ["accounts.google.com"]}
            stmt["Action"] = ["sts:AssumeRoleWithWebIdentity"]
        statements.insert(draw(st.integers(0, len(statements))), stmt)
    # Distinct Sids, as IAM requires.
    seen, unique = set(), []
    for s in statements:
        if s.get("Sid") in seen:
            s = {k: v for k, v in s.items() if k != "Sid"}
        seen.add(s.get("Sid"))
        unique.append(s)
    policy = {}
    if draw(st.booleans()):
        policy["Version"] = draw(st.sampled_from(["2012-10-17", "2008-10-17"]))
    if draw(st.booleans()):
        policy["Id"] = draw(short_text)
    if len(unique) == 1 and draw(st.booleans()):
        policy["Statement"] = unique[0]  # single-object form
    else:
        policy["Statement"] = unique
    if draw(st.booleans()):
        return json.dumps(policy, indent=draw(st.sampled_from([None, 2])))
    return policy


def _statements(policy):
    raw = policy["Statement"]
    return [raw] if isinstance(raw, dict) else raw


@settings(max_examples=300, deadline=None)
@given(data=st.data(), uid=unique_ids, audience=audiences)
def test_merge_keeps_every_foreign_statement_and_is_idempotent(data, uid, audience):
    existing = data.draw(existing_policies(uid, audience))
    before = copy.deepcopy(existing)
    original = tp.parse_policy(existing)
    ours = tp.build_statement(uid, audience)

    result = tp.merge(existing, ours, max_length=10**6)

    assert existing == before  # never modified
    sid = ours["Sid"]
    foreign_before = [s for s in _statements(original) if s.get("Sid") != sid]
    foreign_after = [s for s in _statements(result.policy) if s.get("Sid") != sid]
    assert foreign_after == foreign_before
    for key in ("Version", "Id"):
        assert result.policy.get(key) == original.get(key)
    event(f"merge: {result.action}")
    if result.action == "same":
        assert result.policy == original and not result.changed
    else:
        assert result.changed
        assert [s for s in _statements(result.policy) if s.get("Sid") == sid] == [ours]

    again = tp.merge(result.document, ours, max_length=10**6)
    assert (again.action, again.changed) == ("same", False)
    assert again.policy == result.policy


@settings(max_examples=100, deadline=None)
@given(data=st.data(), uid=unique_ids, audience=audiences)
def test_merge_refuses_only_what_is_over_the_quota(data, uid, audience):
    existing = data.draw(existing_policies(uid, audience))
    try:
        result = tp.merge(existing, tp.build_statement(uid, audience))
    except tp.TrustPolicyTooLarge as exc:
        assert exc.length > exc.limit == tp.TRUST_POLICY_MAX_LENGTH
    else:
        assert not result.changed or tp.policy_length(result.policy) <= tp.TRUST_POLICY_MAX_LENGTH


def token(uid, audience):
    return {"iss": "https://accounts.google.com", "aud": audience, "azp": uid, "sub": uid,
            "email": "app@xwiz-sandbox.iam.gserviceaccount.com", "exp": 2_000_000_000}


@settings(max_examples=300, deadline=None)
@given(uid=unique_ids, audience=audiences)
def test_built_policy_admits_its_own_token(uid, audience):
    result = tp.evaluate(tp.build_policy(uid, audience), token(uid, audience))
    assert result.allowed, result.reason


# claim mutated → the condition key whose failure must be named
_KEY_FOR_CLAIM = {"aud": "accounts.google.com:oaud", "azp": "accounts.google.com:aud", "sub": "accounts.google.com:sub"}


@settings(max_examples=300, deadline=None)
@given(uid=unique_ids, audience=audiences, claim=st.sampled_from(sorted(_KEY_FOR_CLAIM)),
       remove=st.booleans(), replacement=audiences)
def test_any_single_mutated_claim_is_denied_naming_its_key(uid, audience, claim, remove, replacement):
    claims = token(uid, audience)
    expected_failures = [_KEY_FOR_CLAIM[claim]]
    if remove:
        del claims[claim]
        if claim == "azp":
            # Without azp, :aud is the token's aud (admitted only if that is the uniqueId) and :oaud is absent.
            expected_failures = [k for k in ("accounts.google.com:aud", "accounts.google.com:oaud")
                                 if k != "accounts.google.com:aud" or audience != uid]
    else:
        assume(replacement != claims[claim])
        claims[claim] = replacement
    result = tp.evaluate(tp.build_policy(uid, audience), claims)
    assert not result.allowed
    for key in expected_failures:
        assert key in result.reason
    failed = [c.key for c in result.statements[0].conditions if not c.ok]
    assert failed == expected_failures
