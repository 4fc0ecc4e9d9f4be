"""A scenario per cause code: seed the misconfiguration through the public APIs on a healthy setup,
`xwiz doctor --output json` reports the cause at the right check, running the remediation's
commands makes the next run pass. One test file per journey (test_causes_*.py) runs its scenarios.
"""

from __future__ import annotations

from .canary import assert_no_secrets
from .conftest import AWS_SPEC, G2A_SPEC, apply_spec, assert_healthy, by_id, eks_spec
from .remedy import Remedy
from .scenarios import SCENARIOS, Scenario, World


SETUPS = ("aws", "eks", "g2a")
"""One test_causes_*.py file each."""


def scenarios(setup: str) -> list[Scenario]:
    return [s for s in SCENARIOS if s.setup == setup]


def check_cause_is_reported_and_the_remediation_fixes_it(scenario: Scenario, sandbox, tmp_path, doctor) -> None:
    text = {"aws": AWS_SPEC, "eks": eks_spec(sandbox), "g2a": G2A_SPEC}[scenario.setup]
    spec_path = apply_spec(sandbox, tmp_path, text)
    world = World(sandbox, tmp_path)
    scenario.seed(world)

    code, report = doctor(*world.args, env=world.env)
    assert_no_secrets(sandbox, doctor.last_output)
    result = by_id(report)[scenario.check_id]
    assert (result["status"], result["cause"]) == (scenario.status, scenario.cause), result
    assert code == (1 if scenario.status == "fail" else 0)
    assert report["ok"] is (scenario.status != "fail")
    commands = result["remediation"]["commands"]
    assert commands, result

    remedy = Remedy(sandbox, doctor, spec_path, world.env)
    ran = []
    for command in commands:
        if command.startswith(scenario.run):
            remedy.run(command)
            ran.append(command)
    assert ran, f"none of {commands} starts with {scenario.run}"

    code, report = doctor(*world.args, *remedy.doctor_args, env=remedy.env)
    assert_no_secrets(sandbox, doctor.last_output)
    assert_healthy(report)
    assert code == 0
