"""AWS role → Google Cloud, end to end on the sandbox: welcome → steps → review → confirm → apply → result,
then the written credential configuration gets a real Google token with google-auth."""

from __future__ import annotations

import json

from textual.widgets import Button

from screens.wizard.apply import ApplyScreen
from screens.wizard.aws_step import AwsStep
from screens.wizard.google_step import GoogleStep
from screens.wizard.provider_step import ProviderStep
from screens.wizard.review import ReviewScreen
from screens.wizard.service_account_step import ServiceAccountStep

from .conftest import screen_text, wait_for

ROLE = "xwiz-ec2-app"  # the sandbox EC2 instance's role


async def _fill(pilot, field_id: str, text: str) -> None:
    field = pilot.app.screen.query_one(f"#{field_id}")
    field.set_text(text)
    await pilot.pause()


async def test_journey_sets_up_federation_that_google_auth_can_use(make, workdir, sandbox):
    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.context.detected.done, what="identity detection")
        assert "account 111122223333" in screen_text(app)
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, GoogleStep), what="Google step")
        assert app.screen.query_one("#project").text == "xwiz-sandbox"
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, AwsStep), what="AWS step")
        assert app.screen.query_one("#account").text == "111122223333"
        assert app.screen.query_one("#next", Button).disabled  # no role chosen yet
        await _fill(pilot, "roles", ROLE)
        assert not app.screen.query_one("#next", Button).disabled
        await pilot.click("#next")
        await wait_for(pilot, lambda: isinstance(app.screen, ProviderStep), what="provider step")
        text = screen_text(app)
        assert "attribute.aws_role  arn:aws:sts::111122223333:assumed-role/xwiz-ec2-app" in text
        assert "✓ accepts this caller" in text
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, ServiceAccountStep), what="service account step")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen), what="review")
        await wait_for(pilot, lambda: app.screen.plan is not None, what="the plan")
        assert "create" in screen_text(app)
        assert not (workdir / "xwiz.toml").exists()  # nothing changes before the confirm
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, ApplyScreen), what="apply")
        await wait_for(pilot, lambda: app.screen.finished, timeout=60, what="apply to finish")
        assert app.screen.result.ok, app.screen.result.failed
        text = screen_text(app)
        assert "Apply complete" in text
        assert "./credentials-aws-111122223333.json" in text
        assert (workdir / "xwiz.toml").exists()

    config = json.loads((workdir / "credentials-aws-111122223333.json").read_text())
    import google.auth.aws
    from google.auth.transport.requests import Request

    creds = google.auth.aws.Credentials.from_info(config, scopes=["https://www.googleapis.com/auth/cloud-platform"])
    creds.refresh(Request())
    assert creds.token
