"""Saving a journey's spec merges into ./xwiz.toml: a second AWS → Google Cloud journey for another
account adds its entry next to the first, the review plans the whole merged file, and the confirm
dialog says what the save does."""

from __future__ import annotations

from textual.widgets import Button

from screens.wizard.apply import ApplyScreen
from screens.wizard.aws_step import AwsStep
from screens.wizard.google_step import GoogleStep
from screens.wizard.provider_step import ProviderStep
from screens.wizard.review import ReviewScreen
from screens.wizard.service_account_step import ServiceAccountStep
from wizard.model.spec import load_spec

from .conftest import screen_text, wait_for


async def _journey(app, pilot, account: str, role: str) -> str:
    """Welcome → AWS → Google Cloud for `account`; returns the confirm dialog's text."""
    await wait_for(pilot, lambda: app.context.detected.done, what="identity detection")
    await pilot.press("1")
    await wait_for(pilot, lambda: isinstance(app.screen, GoogleStep), what="Google step")
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: isinstance(app.screen, AwsStep), what="AWS step")
    app.screen.query_one("#account").set_text(account)
    app.screen.query_one("#roles").set_text(role)
    await pilot.pause()
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: isinstance(app.screen, ProviderStep), what="provider step")
    assert app.screen.query_one("#provider").text == f"aws-{account}"
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: isinstance(app.screen, ServiceAccountStep), what="service account step")
    assert app.screen.query_one("#credential-config").text == f"credentials-aws-{account}.json"
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen) and app.screen.plan is not None,
                   what="the plan")
    assert not app.screen.query_one("#next", Button).disabled, screen_text(app)
    review_text = screen_text(app)
    await pilot.press("ctrl+n")
    await pilot.pause()
    confirm = screen_text(app) + "\n" + str(app.screen.query_one("#yes", Button).label)
    await pilot.press("y")
    await wait_for(pilot, lambda: isinstance(app.screen, ApplyScreen) and app.screen.finished, timeout=60,
                   what="apply")
    assert app.screen.result.ok, app.screen.result.failed
    await pilot.press("escape")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "WelcomeScreen", what="back on welcome")
    return review_text + "\n" + confirm


async def test_two_journeys_for_two_accounts_leave_both_entries(make, workdir):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        first = await _journey(app, pilot, "111122223333", "xwiz-ec2-app")
        assert "Saving creates ./xwiz.toml" in first
        second = await _journey(app, pilot, "444455556666", "app")
        assert "adds 1 entry to ./xwiz.toml (1 kept)" in second
        # The review planned the merged file: the first account's provider shows, unchanged.
        assert "aws-111122223333" in second
    spec = load_spec(workdir / "xwiz.toml")
    assert [(e.account_id, e.provider) for e in spec.aws_to_gcp] == [
        ("111122223333", "aws-111122223333"), ("444455556666", "aws-444455556666")]
    assert (workdir / "xwiz.toml.bak").exists()
    assert (workdir / "credentials-aws-111122223333.json").exists()
    assert (workdir / "credentials-aws-444455556666.json").exists()


async def test_a_spec_for_another_project_is_saved_to_a_file_of_its_own(make, workdir):
    other = ('[gcp]\nproject = "another-project"\npool = "p-pool"\n\n[[aws_to_gcp]]\naccount_id = "999988887777"\n'
             'provider = "aws-other"\nroles = ["r"]\n')
    (workdir / "xwiz.toml").write_text(other)
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        text = await _journey(app, pilot, "111122223333", "xwiz-ec2-app")
        assert "./xwiz.toml is for another federation: it is for project another-project" in text
        assert "Save as xwiz-xwiz-sandbox.toml and apply" in text
    assert (workdir / "xwiz.toml").read_text() == other  # left as it was
    saved = load_spec(workdir / "xwiz-xwiz-sandbox.toml")
    assert [e.account_id for e in saved.aws_to_gcp] == ["111122223333"]
