"""xwiz's CEL: Google's extract, the default AWS mapping, conditions and their failing sub-expressions."""

from __future__ import annotations

import subprocess
import sys

import pytest

from wizard.model import cel
from wizard.model.errors import InputError
from wizard.model.identifiers import assumed_role_arn

ACCOUNT = "111122223333"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/i-0abc1234def567890"
ASSERTION = {"arn": SESSION, "account": ACCOUNT, "userid": "AROAEXAMPLE:i-0abc1234def567890"}


@pytest.mark.parametrize("value, template, result", [
    ("projects/_/buckets/b/objects/logs/a.txt", "/buckets/{name}/", "b"),          # cloud-facts §2.3
    ("projects/_/buckets/b/objects/logs/a.txt", "/objects/{name}", "logs/a.txt"),
    ("projects/_/buckets/b/objects/logs/a.txt", "/topics/{name}", ""),
    (SESSION, "{account_arn}assumed-role/", f"arn:aws:sts::{ACCOUNT}:"),
    (SESSION, "assumed-role/{role_name}/", "app"),
    ("arn:aws:iam::1:user/alice", "assumed-role/{role_name}/", ""),
])
def test_extract_semantics(value, template, result):
    assert cel.extract(value, template) == result


@pytest.mark.parametrize("args", [(1, "{x}"), ("a", 1), ("a",), ("a", "b", "c"), ("a", "no placeholder"), (None, None)])
def test_extract_never_raises(args):
    assert cel.extract(*args) is None


def test_default_mapping_on_an_instance_session():
    result = cel.apply_mapping(None, ASSERTION)
    assert result.ok
    assert result.subject == SESSION
    assert result.attributes["attribute.aws_role"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/app"


def test_default_mapping_on_an_iam_user_keeps_the_arn():
    result = cel.apply_mapping(cel.DEFAULT_AWS_MAPPING, {"arn": "arn:aws:iam::111122223333:user/alice"})
    assert result.attributes["attribute.aws_role"] == "arn:aws:iam::111122223333:user/alice"


def test_google_functions_split_and_join():
    mapping = {"google.subject": "assertion.email.split('@')[0]", "attribute.dept": "assertion.dept.join('.')"}
    result = cel.apply_mapping(mapping, {"email": "alice@example.com", "dept": ["eng", "infra"]})
    assert (result.subject, result.attributes["attribute.dept"]) == ("alice", "eng.infra")


def test_mapping_errors_are_reported_per_key():
    mapping = {"google.subject": "assertion.sub", "attribute.x": "assertion.missing", "attribute.n": "1 + 1"}
    result = cel.apply_mapping(mapping, {"sub": "system:serviceaccount:apps:billing"})
    assert result.subject == "system:serviceaccount:apps:billing"
    assert set(result.errors) == {"attribute.x", "attribute.n"}
    assert not result.ok


def test_subject_over_127_bytes_is_m26():
    long_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{'r' * 64}/{'s' * 64}"
    result = cel.apply_mapping(None, {"arn": long_arn})
    assert "127 bytes" in result.errors["google.subject"]
    assert cel.subject_too_long("é" * 64) and not cel.subject_too_long("e" * 127)


def test_aws_role_condition_text_and_evaluation():
    roles = [assumed_role_arn("other", account_id=ACCOUNT), assumed_role_arn(f"arn:aws:iam::{ACCOUNT}:role/t/app"),
             assumed_role_arn("app", account_id=ACCOUNT)]
    condition = cel.aws_role_condition(roles)
    assert condition == (f"assertion.arn.startsWith('arn:aws:sts::{ACCOUNT}:assumed-role/other/') || "
                         f"assertion.arn.startsWith('arn:aws:sts::{ACCOUNT}:assumed-role/app/')")
    mapped = cel.apply_mapping(None, ASSERTION)
    assert cel.evaluate_condition(condition, mapped, ASSERTION).accepted


def test_role_prefix_does_not_admit_a_longer_role_name():
    condition = cel.aws_role_condition([assumed_role_arn("app", account_id=ACCOUNT)])
    other = {"arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/app-admin/s"}
    result = cel.evaluate_condition(condition, cel.apply_mapping(None, other), other)
    assert not result.accepted and result.failing == [condition]


def test_aws_role_condition_needs_assumed_roles():
    with pytest.raises(TypeError):
        cel.aws_role_condition(["app"])
    with pytest.raises(InputError):
        cel.aws_role_condition([])


def test_or_condition_reports_every_alternative():
    condition = (f"assertion.arn.startsWith('arn:aws:sts::{ACCOUNT}:assumed-role/a/') || "
                 f"assertion.arn.startsWith('arn:aws:sts::{ACCOUNT}:assumed-role/b/')")
    result = cel.evaluate_condition(condition, cel.apply_mapping(None, ASSERTION), ASSERTION)
    assert not result.accepted
    assert result.failing == condition.split(" || ")


def test_and_condition_reports_only_the_false_conjuncts():
    condition = ("(assertion.account == '111122223333' && attribute.aws_role.endsWith('/nope') "
                 "&& google.subject.contains('i-0'))")
    result = cel.evaluate_condition(condition, cel.apply_mapping(None, ASSERTION), ASSERTION)
    assert result.failing == ["attribute.aws_role.endsWith('/nope')"]


def test_operators_inside_strings_and_parens_do_not_split():
    assert cel.split_top_level("'a || b' == x && (c || d)") == ("&&", ["'a || b' == x", "(c || d)"])
    assert cel.split_top_level('"x && y" == z') == (None, ['"x && y" == z'])
    assert cel.split_top_level("a ? b || c : d") == (None, ["a ? b || c : d"])
    assert cel.split_top_level("(a) || (b)") == ("||", ["(a)", "(b)"])
    assert cel.split_top_level("'unterminated") == (None, ["'unterminated"])
    assert cel.split_top_level("r'\\d' == a || b") == ("||", ["r'\\d' == a", "b"])


def test_non_bool_condition_is_an_error():
    result = cel.evaluate_condition("assertion.arn", {}, ASSERTION)
    assert not result.accepted and "not a bool" in result.error


def test_unevaluable_condition_rejects_with_reason():
    result = cel.evaluate_condition("assertion.nope == 'x'", {}, ASSERTION)
    assert not result.accepted and "nope" in result.error


def test_no_condition_accepts():
    assert cel.evaluate_condition(None, {}, ASSERTION).accepted
    assert cel.evaluate_condition("  ", {}, ASSERTION).accepted


def test_compile_errors_carry_the_position():
    with pytest.raises(InputError) as info:
        cel.compile("assertion.arn.startsWith('x') ||", "attribute_condition")
    assert "column 33" in str(info.value)
    assert "expecting {" not in str(info.value)
    with pytest.raises(InputError, match="unknown variable"):
        cel.compile("request.time > 1")
    cel.compile("assertion.groups.exists(g, g == 'admins')")


def test_validate_mapping_rules():
    assert cel.validate_mapping(cel.DEFAULT_AWS_MAPPING) == cel.DEFAULT_AWS_MAPPING
    with pytest.raises(InputError, match="google.subject"):
        cel.validate_mapping({"attribute.x": "assertion.x"})
    with pytest.raises(InputError, match="not a mappable attribute"):
        cel.validate_mapping({"google.subject": "assertion.sub", "attribute.Bad": "assertion.x"})
    with pytest.raises(InputError):
        cel.validate_condition("x" * 4097)


def test_cel_string_quotes_safely():
    tricky = "it's a \\ path\n"
    assert cel.apply_mapping({"google.subject": cel.cel_string(tricky)}, {}).subject == tricky


def test_importing_the_model_does_not_import_cel():
    code = ("import sys, wizard.model.cel, wizard.model.spec, wizard.model.credconfig, wizard.model.principals, "
            "wizard.model.kubernetes; assert 'cel' not in sys.modules; assert 'textual' not in sys.modules; "
            "assert not any(m.startswith(('google.auth', 'boto', 'googleapiclient')) for m in sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_failing_custom_function_prints_nothing(capfd):
    cel.apply_mapping({"google.subject": "assertion.arn.extract(1) + 'x'"}, ASSERTION)
    cel.apply_mapping({"google.subject": "assertion.arn.extract()"}, ASSERTION)
    assert capfd.readouterr().err == ""
