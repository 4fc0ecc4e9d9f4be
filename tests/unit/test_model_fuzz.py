"""Hypothesis: arbitrary input into every validator and the spec loader raises InputError or nothing.

A traceback from bad input is a bug (the CLI exits 3 instead of 2 with a line naming the field).
"""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wizard.model import cel, credconfig, identifiers as ids, principals, spec as sp
from wizard.model.errors import InputError

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VALIDATORS = [
    ids.aws_account_id, ids.aws_role_name, ids.aws_partition, ids.aws_region, ids.iam_policy_arn,
    ids.aws_profile_name, ids.aws_session_duration, ids.pool_id, ids.provider_id, ids.project_id,
    ids.project_number, ids.service_account_account_id, ids.parse_service_account, ids.service_account_email,
    ids.gcp_role, ids.display_name, ids.location, ids.parse_audience, ids.audience, ids.oidc_issuer,
    ids.eks_issuer, ids.oidc_audience, ids.id_token_audience, ids.kubernetes_service_account,
    ids.eks_cluster_name, ids.token_lifetime, ids.file_path, ids.environment_variable, ids.assumed_role_arn,
]

ARN_ALPHABET = string.ascii_letters + string.digits + ":/-_.@+=,*"
anything = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(),
                     st.binary(), st.lists(st.text(max_size=5), max_size=3),
                     st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3))
arnish = st.builds(lambda parts: ":".join(parts),
                   st.lists(st.text(alphabet=ARN_ALPHABET, max_size=20), min_size=1, max_size=7))
audienceish = st.builds(lambda prefix, parts: prefix + "/".join(parts),
                        st.sampled_from(["", "//iam.googleapis.com/", "https://iam.googleapis.com/", "/"]),
                        st.lists(st.sampled_from(["projects", "123", "my-project", "locations", "global",
                                                  "workloadIdentityPools", "pool1", "providers", "prov1",
                                                  "", "gcp-x", "workforcePools", "iam.googleapis.com"]),
                                 max_size=9))


def only_input_errors(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except InputError as e:
        text = str(e)
        assert text and "\n" not in text and "\r" not in text
        assert e.exit_code == 2
        return None


@FAST
@given(value=st.one_of(anything, arnish, audienceish))
def test_validators_raise_only_input_errors(value):
    for validator in VALIDATORS:
        only_input_errors(validator, value)


@FAST
@given(value=st.one_of(arnish, st.text()), account=st.one_of(st.none(), st.just("111122223333"), st.text(max_size=14)),
       partition=st.one_of(st.none(), st.sampled_from(ids.PARTITIONS), st.text(max_size=8)))
def test_role_normaliser_output_is_always_an_assumed_role_arn(value, account, partition):
    role = only_input_errors(ids.assumed_role_arn, value, account_id=account, partition=partition)
    if role is not None:
        assert role.arn == f"arn:{role.partition}:sts::{role.account}:assumed-role/{role.role_name}"
        assert ids.assumed_role_arn(role.arn) == role  # idempotent
        assert ids.assumed_role_arn(role.iam_role_arn) == role


@FAST
@given(value=audienceish)
def test_audience_canonical_form_is_a_fixed_point(value):
    canonical = only_input_errors(ids.audience, value)
    if canonical is not None:
        assert ids.audience(canonical) == canonical
        assert canonical.startswith("//iam.googleapis.com/projects/")


@FAST
@given(member=st.one_of(st.text(), st.builds(lambda scheme, rest: scheme + rest,
                                             st.sampled_from(["principal://", "principalSet://", "principleSet://",
                                                              "serviceAccount:", ""]),
                                             audienceish)),
       number=st.one_of(st.none(), st.just("615204081942")), account=st.one_of(st.none(), st.just("111122223333")))
def test_parse_member_never_raises(member, number, account):
    m = principals.parse_member(member, project_number=number, account_id=account)
    for finding in m.findings:
        if finding.fix is not None:
            assert principals.parse_member(finding.fix).ok


@FAST
@given(config=st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
                           lambda children: st.one_of(st.lists(children, max_size=3),
                                                      st.dictionaries(st.sampled_from(list(credconfig.KNOWN_KEYS)
                                                                                      + ["file", "format", "url",
                                                                                         "environment_id", "type",
                                                                                         "token_lifetime_seconds"]),
                                                                      children, max_size=6)),
                           max_leaves=20))
def test_lint_never_raises(config):
    for finding in credconfig.lint_credential_config(config):
        assert finding.code and "\n" not in finding.summary


@settings(max_examples=100, deadline=None)
@given(expression=st.text(max_size=60))
def test_cel_compile_raises_only_input_errors(expression):
    only_input_errors(cel.compile, expression)
    cel.split_top_level(expression)


# ------------------------------------------------------------------------------------------- TOML
KEYS = sorted({k for keys in sp._KEYS.values() for k in keys} | {"version", "gcp", "bogus"})
toml_scalars = st.one_of(
    st.integers(min_value=-10**13, max_value=10**13).map(str),
    st.booleans().map(lambda b: "true" if b else "false"),
    st.text(alphabet=string.printable.replace('"', "").replace("\\", "").replace("\n", "").replace("\r", "")
            .replace("\x0b", "").replace("\x0c", ""), max_size=30).map(lambda s: f'"{s}"'),
    st.sampled_from(['"111122223333"', '"aws-pool"', '"xwiz-sandbox"', '"apps/billing"', '"us-east-1"',
                     '"app-runner@xwiz-sandbox.iam.gserviceaccount.com"', '"arn:aws:iam::111122223333:role/a/b"',
                     '"roles/viewer"', "3600", '"global"', '"assertion.arn == \'x\'"']),
)
toml_values = st.one_of(toml_scalars, st.lists(toml_scalars, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"))
toml_lines = st.one_of(
    st.sampled_from(["[gcp]", "[[aws_to_gcp]]", "[[eks_to_gcp]]", "[[gcp_to_aws]]", "[aws_to_gcp]", "", "# c",
                     "[gcp.x]"]),
    st.builds(lambda k, v: f"{k} = {v}", st.sampled_from(KEYS), toml_values),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(toml_lines, max_size=14))
def test_structured_toml_raises_only_input_errors(lines):
    only_input_errors(sp.loads_spec, "\n".join(lines) + "\n")


@FAST
@given(text=st.text(max_size=200))
def test_arbitrary_text_raises_only_input_errors(text):
    only_input_errors(sp.loads_spec, text)


VALID = '''[gcp]
project = "xwiz-sandbox"
pool = "aws-pool"

[[aws_to_gcp]]
account_id = "111122223333"
provider = "aws-workload"
roles = ["xwiz-ec2-app"]
'''


@FAST
@given(position=st.integers(min_value=0, max_value=len(VALID)), junk=st.text(max_size=8))
def test_mutated_valid_spec_raises_only_input_errors(position, junk):
    result = only_input_errors(sp.loads_spec, VALID[:position] + junk + VALID[position:])
    if result is not None:
        assert sp.loads_spec(sp.dump_spec(result)) == result


names = st.from_regex(r"[a-z][a-z0-9-]{3,20}[a-z0-9]", fullmatch=True).filter(lambda s: not s.startswith("gcp-"))


@FAST
@given(project=st.from_regex(r"[a-z][a-z0-9-]{4,20}[a-z0-9]", fullmatch=True), pool=names,
       provider=names, account=st.from_regex(r"[0-9]{12}", fullmatch=True),
       roles=st.lists(st.from_regex(r"[A-Za-z0-9_+=,.@-]{1,64}", fullmatch=True), min_size=1, max_size=4,
                      unique=True),
       imdsv2=st.booleans(), lifetime=st.one_of(st.none(), st.integers(600, 43200)),
       condition=st.one_of(st.none(), st.text(max_size=20).map(lambda s: "assertion.arn == " + cel.cel_string(s))),
       display=st.one_of(st.none(), st.text(alphabet=string.ascii_letters + ' "\\é', min_size=1, max_size=32)
                         .filter(lambda s: s.strip() == s and s)))
def test_dump_load_round_trip(project, pool, provider, account, roles, imdsv2, lifetime, condition, display):
    entry = sp.AwsToGcp(account, provider, tuple(ids.assumed_role_arn(r, account_id=account) for r in roles),
                        service_account=f"app-runner@{project}.iam.gserviceaccount.com" if lifetime else None,
                        imdsv2=imdsv2, token_lifetime=lifetime, attribute_condition=condition)
    spec = sp.FederationSpec(sp.GcpSpec(project, pool, pool_display_name=display), aws_to_gcp=(entry,))
    assert sp.loads_spec(sp.dump_spec(spec)) == spec


@FAST
@given(value=st.text(max_size=40))
def test_toml_string_escaping_round_trips(value):
    import tomllib

    assert tomllib.loads("x = " + sp.toml_string(value))["x"] == value


@settings(max_examples=100, deadline=None)
@given(expression=st.text(max_size=40), assertion=st.dictionaries(
    st.sampled_from(["arn", "sub", "account", "groups"]),
    st.one_of(st.text(max_size=20), st.integers(), st.lists(st.text(max_size=5), max_size=2)), max_size=4))
def test_evaluation_never_raises(expression, assertion):
    mapped = cel.apply_mapping({"google.subject": expression or "x"}, assertion)
    result = cel.evaluate_condition(expression, mapped, assertion)
    assert isinstance(result.accepted, bool)


@FAST
@given(values=st.fixed_dictionaries({}, optional={
    "project": anything, "pool": anything, "account_id": anything, "provider": anything, "roles": anything,
    "service_account": anything, "imdsv2": anything, "token_lifetime": anything, "grant_roles": anything}))
def test_spec_from_flags_raises_only_input_errors(values):
    only_input_errors(sp.spec_from_flags, "aws-to-gcp", **values)


def test_input_errors_pickle():
    import pickle

    err = InputError("f", "m", "e", file="x.toml", line=3)
    assert str(pickle.loads(pickle.dumps(err))) == str(err)
