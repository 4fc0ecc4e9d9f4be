"""Evidence and output never contain a token, key or secret: every secret the checks handled
(registered on the context), every token the sandbox issued, and anything shaped like one."""

from __future__ import annotations

import json

import pytest

from checks import registry
from checks.context import Context, inputs_from_spec
from checks.runner import run
from wizard.cli.render_doctor import report_text
from wizard.model.spec import load_spec

from .canary import assert_no_secrets
from .conftest import AWS_SPEC, G2A_SPEC, apply_spec, eks_spec, services_for


@pytest.mark.parametrize("setup", ["aws", "eks", "g2a"])
def test_no_secret_in_json_or_verbose_text(setup, sandbox, tmp_path):
    text = {"aws": AWS_SPEC, "eks": eks_spec(sandbox), "g2a": G2A_SPEC}[setup]
    path = apply_spec(sandbox, tmp_path, text)
    services = services_for(sandbox)
    inputs = inputs_from_spec(load_spec(path), tmp_path, services=services)
    ctx = Context(services, inputs, environ={}, home=tmp_path)
    report = run(registry.select(inputs.directions), ctx)
    assert report.ok
    secrets = ctx.secrets
    assert secrets, "the checks registered the secrets they handled"
    shown = json.dumps(report.to_json()) + report_text(report, verbose=True)
    assert_no_secrets(sandbox, shown, secrets)


def test_a_secret_a_check_leaks_by_mistake_is_scrubbed(sandbox, tmp_path):
    from checks.spec import CheckSpec, Outcome

    def leaky(ctx):
        ctx.secret("s3cr3t-session-token-value")
        return Outcome("fail", "got s3cr3t-session-token-value", "clock-skew",
                       {"nested": ["s3cr3t-session-token-value"]})

    spec = CheckSpec("config.leaky", "Leak", leaky)
    ctx = Context(services_for(sandbox), inputs_from_spec(load_spec(apply_spec(sandbox, tmp_path, AWS_SPEC)),
                                                          tmp_path), environ={})
    report = run([spec], ctx)
    assert "s3cr3t" not in json.dumps(report.to_json())
    assert "[redacted]" in report.results[0].summary
