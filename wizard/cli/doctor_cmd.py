"""`xwiz doctor`: run every step of the exchange live, in order, plus static analysis of the
configuration, and name the failing step, its root cause, the evidence and the fix.

Imports stay inside the function: `xwiz doctor --help` must start in well under 0.2 s.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import exit_codes
from .common import error_boundary, sandbox_option

DIRECTIONS = ("aws-to-gcp", "eks-to-gcp", "gcp-to-aws")


@click.command("doctor")
@click.option("-f", "--file", "spec_file", default="xwiz.toml", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path), help="The spec to read, when present.")
@sandbox_option
@click.option("--direction", type=click.Choice(DIRECTIONS), default=None, help="Only this journey.")
@click.option("--provider", default=None, help="The xwiz.toml entry to diagnose (default: the first).")
@click.option("--cred-config", type=click.Path(dir_okay=False), default=None,
              help="A credential configuration on a workload host: project number, pool, provider and "
                   "service account are read from it.")
@click.option("--role-arn", default=None, help="Google Cloud → AWS: the role to assume.")
@click.option("--service-account", default=None, help="Google Cloud → AWS: the service account whose ID token is used.")
@click.option("--audience", default=None, help="Google Cloud → AWS: the ID token audience (default: the role name).")
@click.option("--what-if-arn", default=None,
              help="Evaluate mapping, condition and bindings for this caller ARN, with no AWS credentials.")
@click.option("--wait", "wait_s", type=click.FloatRange(0, 3600), default=0, show_default=True,
              help="Retry a denied impersonation for up to SECONDS while IAM propagates a new binding.")
@click.option("--call-api", default=None, help="An API URL to GET with the final token (optional last step).")
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--list-checks", is_flag=True, help="List every check and exit.")
@click.option("--explain", "explain", default=None, metavar="CODE_OR_ID",
              help="Explain a cause code or a check id, with its remediation, and exit.")
@click.option("-v", "--verbose", is_flag=True, help="Show evidence, and tracebacks of checks that errored.")
@error_boundary
def doctor_cmd(spec_file: Path, sandbox_file: str | None, direction: str | None, provider: str | None,
               cred_config: str | None, role_arn: str | None, service_account: str | None, audience: str | None,
               what_if_arn: str | None, wait_s: float, call_api: str | None, output: str, list_checks: bool,
               explain: str | None, verbose: bool) -> None:
    """Diagnose keyless authentication: run each exchange step live and name the root cause.

    Exit codes: 0 everything passed (warnings allowed), 1 a check failed, 2 bad usage or input,
    3 a check itself failed (a bug to report).
    """
    if list_checks:
        _list_checks(output)
        return
    if explain:
        _explain(explain)
        return
    from wizard.model.errors import InputError

    from .common import load_spec_file, make_services

    from checks import registry
    from checks.context import Context, gcp_to_aws_from_flags, inputs_from_cred_config, inputs_from_spec
    from checks.runner import run

    services = make_services(sandbox_file)
    options = dict(what_if_arn=what_if_arn, wait_s=float(wait_s), call_api=call_api)
    if what_if_arn is not None:
        from wizard.model import identifiers

        if not what_if_arn.startswith("arn:"):
            raise InputError("--what-if-arn", f"{what_if_arn!r} is not an ARN",
                             "the caller's ARN, e.g. arn:aws:sts::111122223333:assumed-role/ROLE/SESSION")
        identifiers.aws_account_id(what_if_arn.split(":")[4] if what_if_arn.count(":") >= 5 else "",
                                   "--what-if-arn")
    if (role_arn is None) != (service_account is None):
        raise InputError("--role-arn", "and --service-account go together", "both, for Google Cloud → AWS")
    if spec_file.exists():
        spec = load_spec_file(spec_file)
        inputs = inputs_from_spec(spec, spec_file.parent, services=services, provider=provider,
                                  role_arn=role_arn if role_arn and not service_account else None,
                                  cred_config=cred_config, **options)
    elif cred_config:
        inputs = inputs_from_cred_config(cred_config, **options)
    elif role_arn is None:
        raise InputError(None, f"there is no {spec_file} here",
                         "an xwiz.toml (-f FILE), --cred-config FILE on a workload, or --role-arn ARN "
                         "--service-account EMAIL")
    else:
        from checks.context import DoctorInputs

        inputs = DoctorInputs(**options)
    if role_arn is not None:
        from dataclasses import replace

        inputs = replace(inputs, gcp_to_aws=gcp_to_aws_from_flags(role_arn, service_account, audience))
    inputs = inputs.only(direction)
    if what_if_arn and inputs.aws_to_gcp is None:
        raise InputError("--what-if-arn", "needs an AWS → Google Cloud target",
                         "an xwiz.toml with [[aws_to_gcp]], or --cred-config FILE")
    if not inputs.directions:
        raise InputError("--direction", f"nothing to diagnose for {direction or 'any direction'}",
                         "a direction present in xwiz.toml or given by flags")

    ctx = Context(services, inputs)
    on_event = None
    if output == "text" and sys.stderr.isatty():
        from .render_doctor import event_line

        def on_event(event):
            line = event_line(event)
            if line:
                click.echo(line, err=True)
    report = run(registry.select(inputs.directions), ctx, on_event=on_event)
    if output == "json":
        from .render_json import doctor_report

        click.echo(doctor_report(report))
    else:
        from .render_doctor import report_text

        click.echo(report_text(report, verbose=verbose))
    sys.exit(report.exit_code)


def _list_checks(output: str) -> None:
    from checks.registry import CHECKS

    if output == "json":
        from .render_json import check_list

        click.echo(check_list(CHECKS))
    else:
        from .render_doctor import checks_text

        click.echo(checks_text(CHECKS))


def _explain(subject: str) -> None:
    from checks import causes
    from checks.registry import BY_ID, CHECKS
    from wizard.model.errors import InputError

    from .render_doctor import explain_text

    if subject in causes.BY_CODE:
        related = [c.id for c in CHECKS if subject in c.causes]
        click.echo(explain_text(causes.BY_CODE[subject], "cause", related))
        return
    if subject in BY_ID:
        click.echo(explain_text(BY_ID[subject], "check", []))
        return
    raise InputError("--explain", f"{subject!r} is neither a cause code nor a check id",
                     "a code from xwiz doctor --output json (e.g. binding-missing) or an id from "
                     "xwiz doctor --list-checks")


_ = exit_codes  # exit codes are the report's (0/1/3) or the error boundary's (2)
