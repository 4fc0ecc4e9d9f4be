"""Differential test over the wire: xwiz's evaluator against the sandbox's real AssumeRoleWithWebIdentity.

tests/unit/test_trustpolicy_differential.py compares the two evaluators function to function. Here
each generated policy is written to a role through IAM (boto3 → the sandbox front → moto) and a
token signed with the sandbox's accounts.google.com key is sent to STS by boto3, so the policy's
round trip through IAM, the gate's token verification and its key mapping are all in the loop.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, assume, event, given, settings

from wizard.model import trustpolicy as tp
from wizard.sandbox import identities as ids

from ..unit.test_trustpolicy_differential import claims, policies
from .conftest import admin_iam

ROLE = "differential"
# IAM (moto, as AWS) accepts only these actions in a trust policy; the generated conditions and
# principals, which are what the evaluators must agree on, are kept as drawn.
ACCEPTED_ACTIONS = ["sts:AssumeRoleWithWebIdentity", "sts:AssumeRole",
                    ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"]]


def _writable(policy: dict) -> dict:
    statements = []
    for i, stmt in enumerate(policy["Statement"]):
        stmt = {k: v for k, v in stmt.items() if k not in ("Action", "NotAction")}
        stmt["Action"] = ACCEPTED_ACTIONS[i % len(ACCEPTED_ACTIONS)]
        statements.append(stmt)
    return {**policy, "Statement": statements}


@pytest.fixture(scope="module")
def live(_sandbox_session):
    sb = _sandbox_session
    sb.set_knobs(latency_ms=0, fault_rate=0, clock_offset_s=0)
    sb.reset("empty")
    iam = admin_iam(sb)
    iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps(tp.build_policy("1", "a")))
    sts = boto3.client("sts", region_name="us-east-1", endpoint_url=sb.endpoints["aws"]["endpoint_url"],
                       config=Config(signature_version=UNSIGNED))
    return sb, iam, sts


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(policy=policies().map(_writable), token_claims=claims())
def test_evaluator_agrees_with_sts_over_http(live, policy, token_claims):
    sb, iam, sts = live
    try:
        iam.update_assume_role_policy(RoleName=ROLE, PolicyDocument=json.dumps(policy))
    except ClientError as e:
        assume(e.response["Error"]["Code"] != "MalformedPolicyDocument")
        raise
    now = int(sb.clock.now())
    token = sb.keys.google.sign({**token_claims, "iat": now, "exp": now + 3600})
    try:
        sts.assume_role_with_web_identity(RoleArn=f"arn:aws:iam::{ids.AWS_ACCOUNTS['workload']}:role/{ROLE}",
                                          RoleSessionName="differential", WebIdentityToken=token)
        sandbox_allowed = True
    except ClientError as e:
        assert e.response["Error"]["Code"] == "AccessDenied", e.response["Error"]
        sandbox_allowed = False
    ours = tp.evaluate(policy, token_claims)
    event("allowed" if sandbox_allowed else "denied")
    assert ours.allowed == sandbox_allowed, ours.reason
