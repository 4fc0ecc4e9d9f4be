"""Inputs are judged by the CLI's own validators: the reason shows inline and Next stays disabled."""

from __future__ import annotations

from textual.widgets import Button, Static

from screens.wizard.aws_step import AwsStep
from screens.wizard.google_step import GoogleStep

from .conftest import screen_text, wait_for


async def _to_aws_step(app, pilot):
    await wait_for(pilot, lambda: app.context.detected.done, what="identity detection")
    await pilot.press("1")
    await wait_for(pilot, lambda: isinstance(app.screen, GoogleStep), what="Google step")
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: isinstance(app.screen, AwsStep), what="AWS step")


async def test_invalid_account_id_shows_its_message_and_keeps_next_disabled(make):
    app = make()
    async with app.run_test(size=(100, 32)) as pilot:
        await _to_aws_step(app, pilot)
        account = app.screen.query_one("#account")
        account.input.focus()
        account.set_text("")
        await pilot.press(*"12345")
        await pilot.pause()
        expected = '"12345" is not an AWS account ID; expected 12 digits, e.g. 111122223333'
        assert expected in screen_text(app)
        assert app.screen.query_one("#next", Button).disabled
        assert "AWS account ID" in str(app.screen.query_one("#step-reason", Static).render())
        await pilot.press("ctrl+n")  # Next refuses: still here
        await pilot.pause()
        assert isinstance(app.screen, AwsStep)
        # Fixed with the console's dashed form, which the validator accepts.
        account.set_text("1111-2222-3333")
        app.screen.query_one("#roles").set_text("xwiz-ec2-app")
        await pilot.pause()
        assert expected not in screen_text(app)
        assert not app.screen.query_one("#next", Button).disabled


async def test_role_from_another_account_is_refused_with_the_reason(make):
    app = make()
    async with app.run_test(size=(100, 32)) as pilot:
        await _to_aws_step(app, pilot)
        app.screen.query_one("#roles").set_text("arn:aws:iam::444455556666:role/app")
        await pilot.pause()
        assert "belongs to account 444455556666, not 111122223333" in screen_text(app)
        assert app.screen.query_one("#next", Button).disabled


async def test_back_keeps_what_was_typed(make):
    app = make()
    async with app.run_test(size=(100, 32)) as pilot:
        await _to_aws_step(app, pilot)
        app.screen.query_one("#roles").set_text("xwiz-ec2-app")
        await pilot.pause()
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: not isinstance(app.screen, AwsStep), what="provider step")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, AwsStep), what="back on the AWS step")
        assert app.screen.query_one("#roles").text == "xwiz-ec2-app"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, GoogleStep), what="back on the Google step")


async def test_provider_preview_rejects_a_role_not_allowed(make):
    from screens.wizard.provider_step import ProviderStep

    app = make()
    async with app.run_test(size=(120, 40)) as pilot:
        await _to_aws_step(app, pilot)
        app.screen.query_one("#roles").set_text("xwiz-ec2-app")
        await pilot.pause()
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, ProviderStep), what="provider step")
        caller = app.screen.query_one("#caller")
        caller.set_text("arn:aws:sts::111122223333:assumed-role/xwiz-ec2-app-admin/s1")
        await pilot.pause()
        text = screen_text(app)
        assert "✗ rejects this caller" in text
        assert "attribute.aws_role  arn:aws:sts::111122223333:assumed-role/xwiz-ec2-app-admin" in text
        # An IAM role ARN is what a bare `aws_role` mistake looks like (M02): the preview shows it is no session.
        caller.set_text("arn:aws:iam::111122223333:role/xwiz-ec2-app")
        await pilot.pause()
        assert "✗ rejects this caller" in screen_text(app)
        caller.set_text("arn:aws:sts::111122223333:assumed-role/xwiz-ec2-app/i-0123456789abcdef0")
        await pilot.pause()
        assert "✓ accepts this caller" in screen_text(app)
        assert "named after an EC2 instance" in screen_text(app)
