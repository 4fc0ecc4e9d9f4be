"""Onboard AWS accounts through the TUI, on the sandbox: typed IDs end to end (checked afterwards with
googleapiclient), inline validation, AWS Organizations discovery, and the no-pool offer."""

from __future__ import annotations

from textual.widgets import Button, SelectionList

from screens.onboard.accounts_step import OnboardAccountsStep
from screens.onboard.options_step import OnboardOptionsStep
from screens.onboard.plan_screen import OnboardPlanScreen
from screens.onboard.run_screen import OnboardRunScreen
from wizard.model.spec import load_spec

from .conftest import screen_text, wait_for
from .onboard_setup import POOL, SA, apply_federation

ACCOUNTS = ("700000000001", "700000000002", "700000000003")


async def _open_onboarding(app, pilot):
    await wait_for(pilot, lambda: app.context.detected.done, what="identity detection")
    await pilot.press("4")
    await wait_for(pilot, lambda: isinstance(app.screen, OnboardAccountsStep), what="the accounts step")
    await pilot.pause()


def _iam(sandbox):
    import google.oauth2.service_account as service_account
    from googleapiclient import discovery

    ep = sandbox.endpoints["gcp"]
    creds = service_account.Credentials.from_service_account_file(
        ep["admin_credentials"], scopes=["https://www.googleapis.com/auth/cloud-platform"])
    return discovery.build("iam", "v1", credentials=creds, static_discovery=True, cache_discovery=False,
                           client_options={"api_endpoint": ep["iam"], "universe_domain": "xwiz.test"})


async def test_three_typed_accounts_are_onboarded_end_to_end(make, workdir, sandbox, services):
    apply_federation(services, workdir)
    app = make(spec=load_spec(workdir / "xwiz.toml"))
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_onboarding(app, pilot)
        assert "Into pool aws-pool of project xwiz-sandbox" in screen_text(app)
        app.screen.query_one("#accounts").set_text(", ".join(ACCOUNTS))
        await pilot.pause()
        assert not app.screen.query_one("#next", Button).disabled
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, OnboardOptionsStep), what="the options step")
        await pilot.pause()
        assert app.screen.query_one("#next", Button).disabled  # no roles yet
        app.screen.query_one("#roles").set_text("app")
        await pilot.pause()
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, OnboardPlanScreen), what="the plan")
        await wait_for(pilot, lambda: app.screen.plan is not None or app.screen.error, what="planning")
        assert app.screen.error is None, app.screen.error
        text = screen_text(app)
        assert "3 accounts: 3 create" in text
        assert "Pool aws-pool: 1 provider(s) now, 4 after, of Google's limit of 200 per pool" in text
        assert "+ 700000000002  create AWS provider aws-700000000002" in text
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert "Onboard 3 accounts into pool aws-pool?" in screen_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, OnboardRunScreen), what="the run")
        await wait_for(pilot, lambda: app.screen.finished, timeout=60, what="the run to finish")
        assert app.screen.report.ok, app.screen.report.to_json()
        text = screen_text(app)
        assert "Onboarding complete" in text
        assert "3 account(s): 3 done" in text
        assert "Added 3 entr(ies) to ./xwiz.toml" in text
        assert {e.account_id for e in app.context.spec.aws_to_gcp} >= set(ACCOUNTS)

    iam = _iam(sandbox)
    parent = f"projects/xwiz-sandbox/locations/global/workloadIdentityPools/{POOL}"
    listed = iam.projects().locations().workloadIdentityPools().providers().list(parent=parent).execute()
    providers = {p["name"].rsplit("/", 1)[-1]: p for p in listed.get("workloadIdentityPoolProviders", [])}
    for account in ACCOUNTS:
        assert providers[f"aws-{account}"]["aws"]["accountId"] == account
    policy = iam.projects().serviceAccounts().getIamPolicy(
        resource=f"projects/xwiz-sandbox/serviceAccounts/{SA}").execute()
    members = {m for b in policy["bindings"] if b["role"] == "roles/iam.workloadIdentityUser" for m in b["members"]}
    for account in ACCOUNTS:
        assert any(m.endswith(f"/attribute.aws_role/arn:aws:sts::{account}:assumed-role/app") for m in members)


async def test_an_invalid_account_id_keeps_next_disabled_with_its_message(make, workdir, services):
    apply_federation(services, workdir)
    app = make()
    async with app.run_test(size=(100, 32)) as pilot:
        await _open_onboarding(app, pilot)
        field = app.screen.query_one("#accounts")
        field.input.focus()
        await pilot.press(*"111122223333, 12345")
        await pilot.pause()
        expected = '"12345" is not an AWS account ID; expected 12 digits, e.g. 111122223333'
        assert expected in screen_text(app)
        assert app.screen.query_one("#next", Button).disabled
        assert "Account IDs" in screen_text(app)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, OnboardAccountsStep)
        field.set_text("111122223333, 1234-5678-9012")
        await pilot.pause()
        assert expected not in screen_text(app)
        assert not app.screen.query_one("#next", Button).disabled


async def test_an_accounts_file_error_names_the_file_and_line(make, workdir, services):
    apply_federation(services, workdir)
    (workdir / "accounts.csv").write_text("account_id,roles\n700000000001,app\n70000000002,app\n")
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_onboarding(app, pilot)
        await pilot.click("#from-file")
        await pilot.pause()
        app.screen.query_one("#file").set_text("accounts.csv")
        await pilot.pause()
        assert './accounts.csv:3: account_id: "70000000002" is not an AWS account ID' in screen_text(app)
        assert app.screen.query_one("#next", Button).disabled
        (workdir / "accounts.csv").write_text("account_id,roles\n700000000001,app\n700000000002,app worker\n")
        app.screen.query_one("#file").revalidate()
        await pilot.pause()
        assert "2 accounts: 700000000001, 700000000002" in screen_text(app)
        assert not app.screen.query_one("#next", Button).disabled


async def test_organization_discovery_lists_the_emulated_accounts(make, workdir, sandbox, services):
    from tests.onboarding.helpers import seed_org_accounts

    apply_federation(services, workdir)
    created = seed_org_accounts(sandbox, 3)
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_onboarding(app, pilot)
        await pilot.click("#from-organization")
        await pilot.pause()
        assert "press Discover accounts" in screen_text(app)
        await pilot.click("#discover")
        await wait_for(pilot, lambda: app.screen.discovered is not None, what="discovery")
        listing = app.screen.query_one("#org-accounts", SelectionList)
        assert set(created) | {"111122223333", "444455556666"} <= set(listing.selected)
        assert "5 accounts ACTIVE in the organization" in screen_text(app)
        listing.deselect("111122223333")
        await pilot.pause()
        assert "111122223333" not in {a.account_id for a in app.screen.accounts()}
        assert not app.screen.query_one("#next", Button).disabled
        listing.deselect_all()
        await pilot.pause()
        assert app.screen.query_one("#next", Button).disabled
        assert "no account selected" in screen_text(app)


async def test_without_a_pool_the_screen_says_so_and_offers_the_aws_journey(make):
    from screens.wizard.google_step import GoogleStep

    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_onboarding(app, pilot)
        assert "No xwiz.toml with a pool here (./xwiz.toml)" in screen_text(app)
        await pilot.click("#setup-first")
        await wait_for(pilot, lambda: isinstance(app.screen, GoogleStep), what="the AWS → Google Cloud journey")


async def test_a_cancelled_run_says_so_and_running_again_resumes(make, workdir, sandbox, services):
    apply_federation(services, workdir)
    accounts = ("700000000011", "700000000012", "700000000013", "700000000014")
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_onboarding(app, pilot)
        app.screen.query_one("#accounts").set_text(" ".join(accounts))
        await pilot.pause()
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, OnboardOptionsStep), what="the options step")
        app.screen.query_one("#roles").set_text("app")
        app.screen.query_one("#concurrency").set_text("1")
        await pilot.pause()
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, OnboardPlanScreen) and app.screen.plan is not None,
                       what="the plan")
        sandbox.set_knobs(latency_ms=150)  # one account at a time, slowly: there is time to cancel
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, OnboardRunScreen), what="the run")
        await wait_for(pilot, lambda: "started" in app.screen.kinds.values() or app.screen.finished,
                       what="the first account to start")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.finished, timeout=60, what="the run to stop")
        sandbox.set_knobs(latency_ms=0)
        report = app.screen.report
        assert report.cancelled and report.counts().get("skipped", 0) >= 1
        assert "Onboarding cancelled: run again to resume" in screen_text(app)
        assert "Run again: accounts finished so far are only re-verified" in screen_text(app)
        await pilot.click("#again")
        await wait_for(pilot, lambda: isinstance(app.screen, OnboardPlanScreen) and app.screen.plan is not None,
                       what="the plan again")
        done_before = {r.account_id for r in report.results if r.status == "done"}
        actions = {a.account_id: a.action for a in app.screen.plan.accounts}
        assert all(actions[a] != "create" for a in done_before)  # what finished is not done twice
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, OnboardRunScreen) and app.screen.finished, timeout=60,
                       what="the second run")
        assert app.screen.report.ok, app.screen.report.to_json()
    assert {e.account_id for e in load_spec(workdir / "xwiz.toml").aws_to_gcp} >= set(accounts)


async def test_google_cloud_to_aws_without_an_xwiz_toml_creates_the_role_and_the_file(make, workdir, sandbox,
                                                                                   services):
    from wizard.sandbox import identities

    second = identities.AWS_ACCOUNTS["second"]
    workload = sandbox.endpoints["gcp"]["workload_service_account"]
    services.gcp.batch_enable_services("xwiz-sandbox", ["iam.googleapis.com"])  # to read the account's unique ID
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_onboarding(app, pilot)
        app.screen.query_one("#accounts").set_text(second)
        await pilot.pause()
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, OnboardOptionsStep), what="the options step")
        await pilot.pause()
        assert app.screen.direction == "gcp-to-aws"  # no pool here: the direction that needs none
        assert app.screen.query_one("#g2a-service-account").text == workload
        app.screen.query_one("#role-name").set_text("gcp-onboarded")
        await pilot.pause()
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, OnboardPlanScreen), what="the plan")
        await wait_for(pilot, lambda: app.screen.plan is not None or app.screen.error, what="planning")
        assert app.screen.error is None, app.screen.error
        assert "create role gcp-onboarded" in screen_text(app)
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert "Creates ./xwiz.toml first." in screen_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, OnboardRunScreen) and app.screen.finished, timeout=60,
                       what="the run")
        assert app.screen.report.ok, app.screen.report.to_json()
    entry = load_spec(workdir / "xwiz.toml").gcp_to_aws[0]
    assert entry.role_arn == f"arn:aws:iam::{second}:role/gcp-onboarded"
    token = sandbox.mint_google_id_token(workload, entry.audience)
    out = services.aws.assume_role_with_web_identity(entry.role_arn, token, "tui-onboard")
    assert out["AssumedRoleUser"]["Arn"].startswith(f"arn:aws:sts::{second}:assumed-role/gcp-onboarded/")
