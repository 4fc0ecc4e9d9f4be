"""Every AWS → Google Cloud cause code: reported at its check, fixed by its remediation (see cause_case.py)."""

from __future__ import annotations

import pytest

from .cause_case import SETUPS, check_cause_is_reported_and_the_remediation_fixes_it, scenarios
from .scenarios import SCENARIOS as ALL

SCENARIOS = scenarios("aws")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.cause for s in SCENARIOS])
def test_cause_is_reported_and_the_remediation_fixes_it(scenario, sandbox, tmp_path, doctor):
    check_cause_is_reported_and_the_remediation_fixes_it(scenario, sandbox, tmp_path, doctor)


def test_every_scenario_is_run_by_a_journey_file():
    assert {s.setup for s in ALL} <= set(SETUPS)
