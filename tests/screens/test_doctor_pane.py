"""The diagnostics pane on the sandbox: a seeded misconfiguration is diagnosed live, its fix action
re-applies xwiz.toml, and the rerun passes."""

from __future__ import annotations

import json

import pytest
from textual.widgets import Button

from screens.doctor.screen import DoctorScreen

from .conftest import screen_text, wait_for

SA = "app-runner@xwiz-sandbox.iam.gserviceaccount.com"
SPEC = f'''
[gcp]
project = "xwiz-sandbox"
pool = "aws-pool"

[[aws_to_gcp]]
account_id = "111122223333"
provider = "aws-workload"
roles = ["xwiz-ec2-app"]
service_account = "{SA}"
create_service_account = true
'''


@pytest.fixture
def broken_setup(services, workdir, monkeypatch):
    """A working AWS → Google Cloud setup whose workloadIdentityUser binding was then removed."""
    from wizard.engine.applier import Applier
    from wizard.engine.planner import Planner
    from wizard.model.spec import loads_spec

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_REGION", "AWS_DEFAULT_REGION", "GOOGLE_APPLICATION_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    (workdir / "home").mkdir()
    monkeypatch.setenv("HOME", str(workdir / "home"))
    (workdir / "xwiz.toml").write_text(SPEC)
    spec = loads_spec(SPEC, str(workdir / "xwiz.toml"))
    planner = Planner(services, spec, workdir)
    assert Applier(services, planner).apply(planner.plan()).ok
    policy = services.gcp.get_service_account_policy(SA)
    policy["bindings"] = [b for b in policy.get("bindings", []) if b["role"] != "roles/iam.workloadIdentityUser"]
    services.gcp.set_service_account_policy(SA, policy)
    return spec


async def test_doctor_names_the_missing_binding_and_its_fix_makes_the_rerun_pass(make, broken_setup):
    app = make(spec=broken_setup)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.context.detected.done, what="identity detection")
        await pilot.press("5")
        await wait_for(pilot, lambda: isinstance(app.screen, DoctorScreen), what="doctor")
        doctor = app.screen
        await wait_for(pilot, lambda: doctor.report, timeout=60, what="the checks")
        failing = {v.id: v.cause for v in doctor.views.values() if v.status == "fail"}
        assert "binding-missing" in failing.values(), failing
        selected = doctor.selected()
        assert selected.cause == "binding-missing" and selected.fixable
        text = screen_text(app)
        assert "binding-missing" in text and "xwiz can fix this" in text
        assert not doctor.query_one("#fix", Button).disabled

        await pilot.press("c")
        copied = json.loads(app.clipboard)
        assert copied["schema_version"] == 1 and copied["ok"] is False

        doctor.report = {}
        await pilot.press("f")
        await wait_for(pilot, lambda: doctor.report and not doctor.running, timeout=90, what="fix and rerun")
        assert {v.status for v in doctor.views.values()} <= {"pass", "warn", "skip"}, \
            {v.id: (v.status, v.cause) for v in doctor.views.values()}
        assert "checks passed" in screen_text(app)
