"""Onboard AWS accounts as a journey: accounts → direction and roles → plan → confirm → run → report.

Like the setup journeys (`XwizApp.run_journey`), each step is a screen awaited in order; Back is a
dismissal and nothing changes anywhere until the plan's confirm dialog says yes. "Run again" after a
run plans again (finished accounts then show as in place) and resumes from the journal.
"""

from __future__ import annotations

from typing import Any

from ..context import Draft, StepResult
from .accounts_step import OnboardAccountsStep
from .inputs import spec_state
from .options_step import OnboardOptionsStep
from .plan_screen import OnboardPlanScreen
from .run_screen import OnboardRunScreen

TITLE = "Onboard AWS accounts"
STEPS = (OnboardAccountsStep, OnboardOptionsStep, OnboardPlanScreen)


async def onboard_journey(app: Any) -> None:
    ctx = app.context
    draft = Draft().with_values(_state=spec_state(ctx.base_dir, ctx.spec))
    total = len(STEPS) + 1
    index = 0
    while True:
        while index < len(STEPS):
            result: StepResult = await app.push_screen_wait(STEPS[index](draft, TITLE, (index + 1, total)))
            if result.action == "setup-first":
                # Not from inside this worker: starting another journey replaces the worker that asks.
                app.call_later(app.choose, "aws-to-gcp")
                return
            if result.back:
                if index == 0:
                    return
                index -= 1
                continue
            draft = result.draft
            index += 1
        after = await app.push_screen_wait(OnboardRunScreen(draft, TITLE, (total, total)))
        if after != "again":
            return
        draft = draft.with_values(_state=spec_state(ctx.base_dir, ctx.spec))
        index = len(STEPS) - 1
