"""`xwiz onboard` as a user runs it: dry run, report, exit codes, input errors with file:line."""

from __future__ import annotations

import json

from click.testing import CliRunner

from wizard.cli.main import cli

from .helpers import SA, account_ids, apply_base, pool_state, services_for


def run(sandbox, *args):
    env = {"XWIZ_SANDBOX": str(sandbox.directory / "endpoints.json")}
    return CliRunner().invoke(cli, ["onboard", *args], env=env)


def test_plan_changes_nothing_and_says_what_it_would_do(sandbox, tmp_path):
    path = apply_base(sandbox, tmp_path)
    before = pool_state(services_for(sandbox))
    a, b = account_ids(2)
    result = run(sandbox, "-f", str(path), "--account-id", a, "--account-id", b, "--role", "app", "--plan")
    assert result.exit_code == 0, result.output
    assert f"+ {a}  create AWS provider aws-{a}" in result.output
    assert "Onboarding plan (aws-to-gcp, 2 account(s)): 2 create." in result.output
    assert "Nothing changed (--plan)." in result.output
    as_json = json.loads(run(sandbox, "-f", str(path), "--account-id", a, "--role", "app", "--plan",
                             "--output", "json").output)
    assert as_json["accounts"][0]["action"] == "create" and as_json["facts"]["service_account"] == SA
    assert pool_state(services_for(sandbox)) == before
    assert not (tmp_path / ".xwiz-onboard.journal").exists()


def test_onboard_from_a_csv_prints_a_table_and_updates_the_spec(sandbox, tmp_path):
    path = apply_base(sandbox, tmp_path)
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("account_id,roles\n" + "".join(f"{a},app;worker\n" for a in account_ids(3)))
    result = run(sandbox, "-f", str(path), "--from", str(accounts))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].split() == ["ACCOUNT", "TARGET", "STATUS", "DETAIL"]
    assert "3 account(s) in" in result.output and "3 done" in result.output
    assert "Added 3 entr(ies)" in result.output
    again = run(sandbox, "-f", str(path), "--from", str(accounts), "--output", "json")
    assert json.loads(again.output)["counts"] == {"unchanged": 3}


def test_a_bad_line_in_the_file_is_an_input_error_naming_it(sandbox, tmp_path):
    path = apply_base(sandbox, tmp_path)
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("account_id,roles\n111122223333,app\n1234,app\n")
    result = run(sandbox, "-f", str(path), "--from", str(accounts))
    assert result.exit_code == 2
    assert f"{accounts}:3: account_id: \"1234\" is not an AWS account ID" in result.output


def test_no_accounts_or_a_lone_ou_are_usage_errors(sandbox, tmp_path):
    path = apply_base(sandbox, tmp_path)
    assert run(sandbox, "-f", str(path)).exit_code == 2
    assert "--ou: needs --organization" in run(sandbox, "-f", str(path), "--ou", "ou-x").output


def test_a_failed_account_exits_1_and_says_how_to_resume(sandbox, tmp_path):
    path = apply_base(sandbox, tmp_path)
    result = run(sandbox, "-f", str(path), "--direction", "gcp-to-aws", "--account-id", "444455556666",
                 "--role-name", "gcp-app", "--admin-role", "NoSuchRole", "--service-account", SA)
    assert result.exit_code == 1
    assert "not authorized to perform: sts:AssumeRole" in result.output
    assert "Run the same command again" in result.output
