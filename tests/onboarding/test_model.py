"""Account lists, provider IDs and the journal (pure)."""

from __future__ import annotations

import pytest

from wizard.model import onboarding as ob
from wizard.model.errors import InputError
from wizard.model.identifiers import assumed_role_arn
from wizard.model.spec import loads_spec


def test_csv_with_roles_and_providers():
    text = "account_id,roles,provider\n# a comment\n111122223333,app;worker,\n444455556666,\"app ops\",aws-second\n"
    got = ob.parse_accounts_csv(text, "a.csv")
    assert [(r.account_id, r.roles, r.provider, r.source) for r in got] == [
        ("111122223333", ("app", "worker"), None, "a.csv:3"),
        ("444455556666", ("app", "ops"), "aws-second", "a.csv:4")]


def test_csv_roles_default_to_the_flag():
    got = ob.parse_accounts_csv("account_id\n111122223333\n", "a.csv", default_roles=("app",))
    assert got[0].roles == ("app",)


@pytest.mark.parametrize("text,line,needle", [
    ("account,roles\n111122223333,app\n", 1, "header"),
    ("account_id,roles\n111122223333,app\n12345,app\n", 3, "12345"),
    ("account_id,roles\n111122223333,arn:aws:iam::999999999999:role/x\n", 2, "999999999999"),
    ("account_id,roles,provider\n111122223333,app,GCP-Bad\n", 2, "GCP-Bad"),
    ("account_id,roles\n111122223333,app\n111122223333,app\n", 3, "twice"),
    ("account_id,roles\n111122223333,app,extra\n", 2, "columns"),
])
def test_csv_errors_name_file_and_line(text, line, needle):
    with pytest.raises(InputError) as e:
        ob.parse_accounts_csv(text, "a.csv")
    assert e.value.file == "a.csv" and e.value.line == line
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_toml_accounts_and_errors():
    text = '[[account]]\naccount_id = "111122223333"\nroles = ["app"]\n\n[[account]]\naccount_id = "12"\n'
    with pytest.raises(InputError) as e:
        ob.parse_accounts_toml(text, "a.toml")
    assert (e.value.file, e.value.line) == ("a.toml", 5)
    good = ob.parse_accounts_file('[[account]]\naccount_id = "111122223333"\nroles = ["app"]\nprovider = "aws-x1"\n',
                                  "list.toml")
    assert good[0].provider == "aws-x1" and good[0].source == "list.toml:1"
    with pytest.raises(InputError, match="not a list"):
        ob.parse_accounts_toml('[[account]]\naccount_id = "111122223333"\nroles = "app"\n', "a.toml")


def test_first_mention_wins_across_sources():
    a = ob.AccountRequest("111122223333", ("x",), source="--account-id")
    b = ob.AccountRequest("111122223333", ("y",), source="f.csv:2")
    c = ob.AccountRequest("444455556666", ("y",), source="f.csv:3")
    assert ob.merge_requests([[a], [b, c]]) == [a, c]


@pytest.mark.parametrize("pattern,needle", [
    ("aws-prod", "{account_id}"), ("gcp-{account_id}", "gcp-"), ("AWS-{account_id}", "lowercase"),
    ("a-much-too-long-prefix-{account_id}", "not a valid"), ("aws-{name}-{account_id}", "placeholder"),
])
def test_bad_provider_patterns(pattern, needle):
    with pytest.raises(InputError, match="--provider-pattern") as e:
        ob.validate_provider_pattern(pattern)
    assert needle in str(e.value)


def _existing(pid, kind="aws", account="111122223333", state="ACTIVE"):
    return ob.ExistingProvider(pid, kind, account if kind == "aws" else None, state)


def test_choice_never_takes_another_accounts_or_another_types_id():
    existing = {"aws-111122223333": _existing("aws-111122223333", account="999999999999"),
                "aws-111122223333-2": _existing("aws-111122223333-2", kind="oidc")}
    choice = ob.choose_provider_id("aws-111122223333", "111122223333", existing)
    assert choice.provider_id == "aws-111122223333-3" and choice.existing is None
    assert choice.skipped == ("aws-111122223333", "aws-111122223333-2")


def test_choice_reuses_this_accounts_provider_even_soft_deleted():
    existing = {"aws-111122223333": _existing("aws-111122223333", state="DELETED")}
    choice = ob.choose_provider_id("aws-111122223333", "111122223333", existing)
    assert choice.provider_id == "aws-111122223333" and choice.existing.state == "DELETED"


def test_choice_respects_ids_reserved_in_the_same_run_and_the_length_limit():
    assert ob.choose_provider_id("aws-1", "111122223333", {}, {"aws-1"}).provider_id == "aws-1-2"
    with pytest.raises(InputError, match="32 characters"):
        ob.choose_provider_id("p" * 31 + "x", "111122223333", {}, {"p" * 31 + "x"})


def test_journal_ignores_a_line_cut_short_and_keeps_the_last_record():
    r1 = ob.JournalRecord("111122223333", "aws-to-gcp", "done", "aws-1", "fp1", 1.0)
    r2 = ob.JournalRecord("111122223333", "aws-to-gcp", "done", "aws-1", "fp2", 2.0)
    r3 = ob.JournalRecord("444455556666", "aws-to-gcp", "done", "aws-2", "fp", 3.0)
    text = r1.line() + r2.line() + "not json\n" + r3.line()[:25]
    got = ob.parse_journal(text)
    assert list(got) == ["111122223333"] and got["111122223333"].fingerprint == "fp2"


def test_appended_entries_load_and_keep_the_file():
    base = '# mine\n[gcp]\nproject = "my-project"\npool = "pool-1"  # keep\n'
    roles = (assumed_role_arn("app", "111122223333"), assumed_role_arn("arn:aws:iam::111122223333:role/p/w"))
    text = base + ob.aws_to_gcp_entry_text("111122223333", "aws-111122223333", roles,
                                           "app-sa@my-project.iam.gserviceaccount.com", "added")
    text += ob.gcp_to_aws_entry_text("app-sa@my-project.iam.gserviceaccount.com", "444455556666", "gcp-app", "gcp-app",
                                     ["arn:aws:iam::aws:policy/ReadOnlyAccess"])
    spec = loads_spec(text)
    assert text.startswith(base)
    assert spec.aws_to_gcp[0].roles == roles and spec.aws_to_gcp[0].provider == "aws-111122223333"
    assert spec.gcp_to_aws[0].policies == ("arn:aws:iam::aws:policy/ReadOnlyAccess",)
