"""Snapshots of every screen at 80×24 and 120×40 (pytest-textual-snapshot; cursor blink off).

Each screen is reached the way a user reaches it, on the sandbox, then the test waits until every
worker but the journey's is done, so what is captured never depends on timing. Nothing rendered
holds a random port or a temporary path (the app shows paths relative to the cwd, ports masked).
Update after a deliberate change with `pytest tests/screens/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import time

import pytest

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


async def idle(pilot, until=lambda app: True, timeout: float = 30.0) -> None:
    """Wait until `until(app)` holds and no worker but the journey runner is still going."""
    deadline = time.monotonic() + timeout
    app = pilot.app
    while True:
        busy = [w for w in app.workers if w.group != "journey" and not w.is_finished]
        if not busy and until(app):
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"still busy: {[w.name for w in busy]} on {type(app.screen).__name__}")
        await pilot.pause(0.05)
    for _ in range(3):  # messages a finished worker posted may take a few hops (field → step → field)
        await pilot.pause()
    # Where a step is scrolled depends on when its listing arrived relative to the focus scroll: pin it.
    for body in app.screen.query("#step-body"):
        body.scroll_home(animate=False, immediate=True)
    await pilot.pause()


def on(name: str):
    return lambda app: type(app.screen).__name__ == name


def listed(name: str, note_id: str):
    """On screen `name`, once its cloud listing has answered (its note says what was found)."""
    def ready(app) -> bool:
        if type(app.screen).__name__ != name:
            return False
        return bool(str(app.screen.query_one(f"#{note_id}").render()).strip())
    return ready


async def welcome(pilot):
    await idle(pilot, lambda app: app.context.detected.done)


async def google_step(pilot):
    await welcome(pilot)
    await pilot.press("1")
    await idle(pilot, listed("GoogleStep", "pool-note"))


async def aws_step(pilot):
    await google_step(pilot)
    await pilot.press("ctrl+n")
    await idle(pilot, listed("AwsStep", "roles-note"))


async def aws_step_invalid(pilot):
    await aws_step(pilot)
    pilot.app.screen.query_one("#account").set_text("12345")
    await idle(pilot)


async def provider_step(pilot):
    await aws_step(pilot)
    pilot.app.screen.query_one("#roles").set_text("xwiz-ec2-app")
    await pilot.pause()
    await pilot.press("ctrl+n")
    await idle(pilot, on("ProviderStep"))


async def service_account_step(pilot):
    await provider_step(pilot)
    await pilot.press("ctrl+n")
    await idle(pilot, listed("ServiceAccountStep", "sa-note"))


async def review(pilot):
    await service_account_step(pilot)
    await pilot.press("ctrl+n")
    await idle(pilot, lambda app: on("ReviewScreen")(app) and app.screen.plan is not None)


async def review_commands(pilot):
    await review(pilot)
    pilot.app.screen.query_one("#review-tabs").active = "tab-commands"
    await idle(pilot)


async def confirm(pilot):
    await review(pilot)
    await pilot.press("ctrl+n")
    await idle(pilot, on("ConfirmDialog"))


async def applied(pilot):
    await confirm(pilot)
    await pilot.press("y")
    await idle(pilot, lambda app: on("ApplyScreen")(app) and app.screen.finished, timeout=60)


async def eks_step(pilot):
    await welcome(pilot)
    await pilot.press("2")
    await idle(pilot, on("GoogleStep"))
    await pilot.press("ctrl+n")
    # The cluster listing fills in the one cluster, and the provider ID follows it.
    await idle(pilot, lambda app: on("EksStep")(app) and app.screen.query_one("#provider").text == "eks-xwiz-demo")


async def gcp_to_aws_step(pilot):
    await welcome(pilot)
    await pilot.press("3")
    await idle(pilot, on("ProjectStep"))
    await pilot.press("ctrl+n")
    await idle(pilot, on("GcpToAwsStep"))


async def onboard(pilot):
    """No xwiz.toml with a pool: the step says so and offers AWS → Google Cloud first."""
    await welcome(pilot)
    pilot.app.choose("onboard")
    await idle(pilot, on("OnboardAccountsStep"))


ONBOARD_ACCOUNTS = "700000000001, 700000000002, 700000000003"


async def onboard_accounts(pilot):
    """A federation applied first (./xwiz.toml, pool aws-pool), then three typed account IDs."""
    import asyncio

    from .onboard_setup import apply_federation

    await welcome(pilot)
    await asyncio.to_thread(apply_federation, pilot.app.context.services, pilot.app.context.base_dir)
    pilot.app.choose("onboard")
    await idle(pilot, on("OnboardAccountsStep"))
    pilot.app.screen.query_one("#accounts").set_text(ONBOARD_ACCOUNTS)
    await idle(pilot)


async def onboard_invalid(pilot):
    await onboard_accounts(pilot)
    pilot.app.screen.query_one("#accounts").set_text("700000000001, 12345")
    await idle(pilot)


async def onboard_organization(pilot):
    await onboard_accounts(pilot)
    await pilot.click("#from-organization")
    await pilot.click("#discover")
    await idle(pilot, lambda app: on("OnboardAccountsStep")(app) and app.screen.discovered is not None)


async def onboard_options(pilot):
    await onboard_accounts(pilot)
    await pilot.press("ctrl+n")
    await idle(pilot, on("OnboardOptionsStep"))
    pilot.app.screen.query_one("#roles").set_text("app")
    await idle(pilot)


async def onboard_plan(pilot):
    await onboard_options(pilot)
    await pilot.press("ctrl+n")
    await idle(pilot, lambda app: on("OnboardPlanScreen")(app) and app.screen.plan is not None)


async def onboard_confirm(pilot):
    await onboard_plan(pilot)
    await pilot.press("ctrl+n")
    await idle(pilot, on("ConfirmDialog"))


async def onboard_done(pilot):
    await onboard_confirm(pilot)
    await pilot.press("y")
    await idle(pilot, lambda app: on("OnboardRunScreen")(app) and app.screen.finished, timeout=60)


async def doctor(pilot):
    await welcome(pilot)
    pilot.app.choose("doctor")
    await idle(pilot, lambda app: on("DoctorScreen")(app) and not app.screen.running)


async def help_screen(pilot):
    await welcome(pilot)
    await pilot.press("f1")
    await idle(pilot, on("HelpScreen"))


async def light_theme(pilot):
    await welcome(pilot)
    await pilot.press("ctrl+t")
    await idle(pilot)


SCREENS = {
    "welcome": welcome, "google_step": google_step, "aws_step": aws_step, "aws_step_invalid": aws_step_invalid,
    "provider_step": provider_step, "service_account_step": service_account_step, "review": review,
    "review_commands": review_commands, "confirm": confirm, "applied": applied, "eks_step": eks_step,
    "gcp_to_aws_step": gcp_to_aws_step, "onboard": onboard, "onboard_accounts": onboard_accounts,
    "onboard_invalid": onboard_invalid, "onboard_organization": onboard_organization,
    "onboard_options": onboard_options, "onboard_plan": onboard_plan, "onboard_confirm": onboard_confirm,
    "onboard_done": onboard_done, "doctor": doctor, "help": help_screen,
    "light_theme": light_theme,
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare, make, screen, size):
    assert snap_compare(make(), terminal_size=size, run_before=SCREENS[screen])
