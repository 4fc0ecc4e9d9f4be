"""Discovery through the emulated AWS Organizations: ListAccounts, ListAccountsForParent, SUSPENDED."""

from __future__ import annotations

from click.testing import CliRunner

from wizard.cli.main import cli
from wizard.engine.onboarding import discover_organization
from wizard.sandbox import identities

from .helpers import apply_base, organizations_client, seed_org_accounts, services_for


def test_lists_active_accounts_of_the_organization_and_of_an_ou(sandbox):
    created = seed_org_accounts(sandbox, 4)
    org = organizations_client(sandbox)
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="prod")["OrganizationalUnit"]["Id"]
    for account in created[:2]:
        org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
    org.close_account(AccountId=created[3])

    services = services_for(sandbox)
    everyone = [r.account_id for r in discover_organization(services, roles=("app",))]
    assert set(created[:3]) | {identities.AWS_ACCOUNTS["second"]} <= set(everyone)
    assert created[3] not in everyone  # SUSPENDED
    in_ou = discover_organization(services, ou, ("app",))
    assert sorted(r.account_id for r in in_ou) == sorted(created[:2])
    assert all(r.roles == ("app",) and r.source == f"organization/{ou}" for r in in_ou)


def test_cli_onboards_an_ou(sandbox, tmp_path):
    path = apply_base(sandbox, tmp_path)
    created = seed_org_accounts(sandbox, 3)
    org = organizations_client(sandbox)
    root = org.list_roots()["Roots"][0]["Id"]
    ou = org.create_organizational_unit(ParentId=root, Name="apps")["OrganizationalUnit"]["Id"]
    for account in created:
        org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
    env = {"XWIZ_SANDBOX": str(sandbox.directory / "endpoints.json")}
    args = ["onboard", "-f", str(path), "--organization", "--ou", ou, "--role", "app", "--output", "json"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    import json

    report = json.loads(result.output)
    assert report["ok"] and sorted(a["account_id"] for a in report["accounts"]) == sorted(created)
