"""Every EKS → Google Cloud cause code: reported at its check, fixed by its remediation (see cause_case.py)."""

from __future__ import annotations

import pytest

from .cause_case import check_cause_is_reported_and_the_remediation_fixes_it, scenarios

SCENARIOS = scenarios("eks")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.cause for s in SCENARIOS])
def test_cause_is_reported_and_the_remediation_fixes_it(scenario, sandbox, tmp_path, doctor):
    check_cause_is_reported_and_the_remediation_fixes_it(scenario, sandbox, tmp_path, doctor)
