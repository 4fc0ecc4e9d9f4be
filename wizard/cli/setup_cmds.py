"""`xwiz init`, `xwiz plan`, `xwiz apply`: describe the federation, see the changes, make them."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import click

from . import exit_codes
from .common import XwizCommand, error_boundary, load_spec_file, make_services, sandbox_option, spec_option


@click.command("plan", cls=XwizCommand)
@spec_option
@sandbox_option
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("-v", "--verbose", is_flag=True, help="Also list unchanged resources.")
@error_boundary
def plan_cmd(spec_file: Path, sandbox_file: str | None, output: str, verbose: bool) -> None:
    """Show what `xwiz apply` would change. Changes nothing."""
    from wizard.engine.planner import Planner

    from .render_text import plan_text

    spec = load_spec_file(spec_file)
    plan = Planner(make_services(sandbox_file), spec, spec_file.parent).plan()
    if output == "json":
        click.echo(json.dumps(plan.to_json(), indent=2))
    else:
        click.echo(plan_text(plan, verbose=verbose))


@click.command("apply", cls=XwizCommand)
@spec_option
@sandbox_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@click.option("--force", is_flag=True, help="Replace credential configuration files whose content differs "
                                            "(the old file is kept as FILE.bak).")
@click.option("--no-verify", is_flag=True, help="Skip the live token exchange after applying.")
@click.option("--wait", "wait_s", type=click.IntRange(0, 3600), default=420, show_default=True, metavar="SECONDS",
              help="How long verification waits for IAM to propagate a new binding (Google: up to 7 minutes).")
@click.option("--concurrency", type=click.IntRange(1, 32), default=8, show_default=True)
@error_boundary
def apply_cmd(spec_file: Path, sandbox_file: str | None, auto_approve: bool, force: bool, no_verify: bool,
              wait_s: int, concurrency: int) -> None:
    """Make the clouds match xwiz.toml, then write the credential configurations."""
    from wizard.engine.applier import Applier
    from wizard.engine.planner import Planner

    from .render_text import event_text, plan_text

    spec = load_spec_file(spec_file)
    services = make_services(sandbox_file)
    planner = Planner(services, spec, spec_file.parent)
    plan = planner.plan()
    click.echo(plan_text(plan))
    if not plan.has_changes:
        _verify_and_next_steps(services, planner, spec, spec_file.parent, no_verify, wait_s)
        return
    if not auto_approve:
        if not sys.stdin.isatty():
            click.echo("xwiz: not a terminal, so there is no one to confirm; re-run with --auto-approve", err=True)
            sys.exit(exit_codes.USAGE)
        if not click.confirm("Apply these changes?", default=False):
            click.echo("Nothing changed.")
            return
    cancel = threading.Event()
    applier = Applier(services, planner, force=force, concurrency=concurrency)
    try:
        result = applier.apply(plan, on_event=lambda e: _echo(event_text(e)), cancel=cancel)
    except KeyboardInterrupt:
        cancel.set()
        raise
    if not result.ok:
        click.echo(click.style(f"Apply did not finish: {len(result.failed)} failed, {len(result.skipped)} skipped. "
                               "Fix the cause and run `xwiz apply` again: it picks up where it stopped.", fg="red"),
                   err=True)
        sys.exit(exit_codes.PROBLEMS)
    click.echo(click.style("Apply complete.", fg="green", bold=True))
    _verify_and_next_steps(services, planner, spec, spec_file.parent, no_verify, wait_s)


def _verify_and_next_steps(services, planner, spec, base: Path, no_verify: bool, wait_s: int) -> None:
    failed = False
    if not no_verify and (spec.aws_to_gcp or spec.eks_to_gcp or spec.gcp_to_aws):
        from wizard.engine.verify import verify_after_apply

        click.echo("Verifying what the workload will use…")
        for outcome in verify_after_apply(services, planner, on_progress=_echo, wait_s=wait_s):
            color = {"ok": "green", "skipped": "yellow", "failed": "red"}[outcome.status]
            for i, line in enumerate(outcome.lines()):
                click.echo(click.style(line, fg=color) if i == 0 else line)
            failed = failed or outcome.status == "failed"
    _next_steps(spec, base)
    if failed:
        sys.exit(exit_codes.PROBLEMS)


def _echo(line: str | None) -> None:
    if line:
        click.echo(line)


def _next_steps(spec, base: Path) -> None:
    from wizard.engine.next_steps import next_steps

    for line in next_steps(spec, base):
        click.echo(line)


@click.command("init", cls=XwizCommand)
@click.option("-f", "--file", "spec_file", default="xwiz.toml", show_default=True,
              type=click.Path(dir_okay=False, path_type=Path))
@click.option("--direction", type=click.Choice(["aws-to-gcp", "eks-to-gcp", "gcp-to-aws"]), default="aws-to-gcp",
              show_default=True)
@click.option("--project", help="Google Cloud project ID.")
@click.option("--workload-identity-pool", "pool", help="Pool ID (4-32 of a-z 0-9 -).")
@click.option("--provider", help="Provider ID (4-32 of a-z 0-9 -); default aws-ACCOUNT_ID or eks-CLUSTER.")
@click.option("--account-id", help="AWS account ID (12 digits).")
@click.option("--role-arn", "roles", multiple=True, help="IAM role name or ARN allowed in (repeatable).")
@click.option("--service-account", help="Service account email to impersonate.")
@click.option("--create-service-account", is_flag=True, default=None)
@click.option("--grant-role", "grant_roles", multiple=True, help="Project role for the service account (repeatable).")
@click.option("--output-file", "credential_config", help="Where to write the credential configuration.")
@click.option("--cluster", help="EKS cluster name (eks-to-gcp).")
@click.option("--region", help="AWS region of the EKS cluster.")
@click.option("--issuer-uri", "issuer", help="OIDC issuer, instead of --cluster.")
@click.option("--kubernetes-service-account", "kubernetes_service_accounts", multiple=True,
              help="NAMESPACE/NAME (repeatable).")
@click.option("--role-name", help="AWS role to create or update (gcp-to-aws).")
@click.option("--audience", help="ID token audience (gcp-to-aws).")
@click.option("--policy-arn", "policies", multiple=True, help="Policy to attach to the role (repeatable).")
@click.option("--profile", help="AWS profile to write (gcp-to-aws).")
@click.option("--force", is_flag=True, help="Replace an existing spec file.")
@error_boundary
def init_cmd(spec_file: Path, direction: str, force: bool, **values) -> None:
    """Write a starter xwiz.toml from flags."""
    from wizard.model.errors import InputError
    from wizard.model.spec import dump_spec, spec_from_flags

    if not values.get("provider"):
        # the names the wizard proposes too: one provider per AWS account, one per EKS cluster
        if direction == "aws-to-gcp" and values.get("account_id"):
            values["provider"] = f"aws-{str(values['account_id']).strip()}"
        elif direction == "eks-to-gcp" and values.get("cluster"):
            values["provider"] = f"eks-{str(values['cluster']).strip().lower()}"[:32].rstrip("-")
    spec = spec_from_flags(direction, **values)
    text = dump_spec(spec)
    if spec_file.exists() and not force:
        if spec_file.read_text() == text:
            click.echo(f"{spec_file} already says this.")
            return
        raise InputError(None, f"{spec_file} exists", "--force to replace it, or -f OTHER.toml")
    spec_file.write_text(text)
    click.echo(f"Wrote {spec_file}. Next: xwiz plan -f {spec_file}")
