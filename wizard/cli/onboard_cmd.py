"""`xwiz onboard`: add many AWS accounts to an existing federation, resumably."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import click

from . import exit_codes
from .common import error_boundary, load_spec_file, make_services, sandbox_option, spec_option

EPILOG = """\b
Examples:
  xwiz onboard --account-id 111122223333 --account-id 444455556666 --role app
  xwiz onboard --from accounts.csv            # header: account_id,roles[,provider]
  xwiz onboard --organization --ou ou-ab12-cdefgh34 --role app --plan
  xwiz onboard --direction gcp-to-aws --organization --role-name gcp-app \\
      --service-account app@my-project.iam.gserviceaccount.com

\b
A run that stops (Ctrl-C, a crash, a lost connection) resumes where it stopped: finished accounts
are in .xwiz-onboard.journal next to xwiz.toml and are only re-verified.
For Google Cloud -> AWS across an organisation with CloudFormation StackSets instead:
  xwiz export --format cloudformation > role.yaml
  aws cloudformation create-stack-set --stack-set-name xwiz-gcp-role --template-body file://role.yaml \\
      --permission-model SERVICE_MANAGED --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false \\
      --capabilities CAPABILITY_NAMED_IAM
  aws cloudformation create-stack-instances --stack-set-name xwiz-gcp-role \\
      --deployment-targets OrganizationalUnitIds=ou-... --regions us-east-1
"""


@click.command("onboard", epilog=EPILOG)
@spec_option
@sandbox_option
@click.option("--account-id", "account_ids", multiple=True, help="AWS account ID to onboard (repeatable).")
@click.option("--role", "--role-arn", "roles", multiple=True,
              help="IAM role name or ARN allowed in, for every account without its own roles (repeatable).")
@click.option("--from", "from_file", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV (account_id,roles[,provider]) or TOML ([[account]]) list of accounts.")
@click.option("--organization", is_flag=True, help="Every ACTIVE account of the AWS Organization.")
@click.option("--ou", help="With --organization: only the accounts directly in this OU.")
@click.option("--direction", type=click.Choice(["aws-to-gcp", "gcp-to-aws"]), default="aws-to-gcp",
              show_default=True)
@click.option("--provider-pattern", default="aws-{account_id}", show_default=True,
              help="Provider ID per account; an ID held by another account gets a -2, -3 … suffix.")
@click.option("--service-account", help="Service account to bind (default: the one xwiz.toml uses).")
@click.option("--admin-role", default="OrganizationAccountAccessRole", show_default=True,
              help="gcp-to-aws: the role assumed in each account to create the workload role.")
@click.option("--role-name", help="gcp-to-aws: the role to create or update in each account.")
@click.option("--audience", help="gcp-to-aws: ID token audience (default: the role name).")
@click.option("--policy-arn", "policies", multiple=True, help="gcp-to-aws: policy to attach (repeatable).")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Accounts worked on at once.")
@click.option("--plan", "dry_run", is_flag=True, help="Show what would change; change nothing.")
@click.option("--journal", "journal_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Journal file (default: .xwiz-onboard.journal next to xwiz.toml).")
@click.option("--no-spec-update", is_flag=True, help="Do not append the new entries to xwiz.toml.")
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@error_boundary
def onboard_cmd(spec_file: Path, sandbox_file: str | None, account_ids: tuple[str, ...], roles: tuple[str, ...],
                from_file: Path | None, organization: bool, ou: str | None, direction: str, provider_pattern: str,
                service_account: str | None, admin_role: str, role_name: str | None, audience: str | None,
                policies: tuple[str, ...], concurrency: int, dry_run: bool, journal_path: Path | None,
                no_spec_update: bool, output: str) -> None:
    """Onboard AWS accounts: a provider and bindings per account (aws-to-gcp), or a role per account
    (gcp-to-aws), with bounded concurrency, retries, progress and a resumable journal."""
    from wizard.engine.onboarding import Onboarder, OnboardOptions, discover_organization
    from wizard.engine.onboarding_journal import Journal
    from wizard.model import identifiers as ids
    from wizard.model import onboarding as ob
    from wizard.model.errors import InputError

    if ou and not organization:
        raise InputError("--ou", "needs --organization", "--organization --ou OU_ID")
    if not (account_ids or from_file or organization):
        raise InputError(None, "no accounts given", "--account-id A (repeatable), --from FILE or --organization")
    if service_account:
        ids.service_account_email(service_account, "--service-account")
    if role_name:
        ids.aws_role_name(role_name, "--role-name")
    for p in policies:
        ids.iam_policy_arn(p, "--policy-arn")
    spec = load_spec_file(spec_file)
    services = make_services(sandbox_file)
    groups = [[ob.AccountRequest(ids.aws_account_id(a, "--account-id"), roles) for a in account_ids]]
    if from_file is not None:
        try:
            text = from_file.read_text(encoding="utf-8")
        except OSError as e:
            raise InputError("--from", f"{from_file} cannot be read ({e.strerror or type(e).__name__})",
                             "a CSV or TOML file of accounts") from None
        groups.append(ob.parse_accounts_file(text, str(from_file), roles))
    if organization:
        groups.append(discover_organization(services, ou, roles))
    accounts = ob.merge_requests(groups)
    options = OnboardOptions(direction=direction, provider_pattern=provider_pattern, service_account=service_account,
                             concurrency=concurrency, update_spec=not no_spec_update, admin_role=admin_role,
                             role_name=role_name, audience=audience, policies=policies)
    journal = Journal(journal_path) if journal_path else None
    onboarder = Onboarder(services, spec, options=options, spec_path=spec_file, journal=journal)
    plan = onboarder.plan(accounts, probe=dry_run)
    if dry_run:
        if output == "json":
            click.echo(json.dumps(plan.to_json(), indent=2))
        else:
            click.echo(_plan_text(plan))
        return
    progress = _Progress(len(plan.accounts), enabled=output == "text" and sys.stderr.isatty())
    cancel = threading.Event()
    try:
        report = onboarder.run(accounts, on_event=progress, cancel=cancel, plan=plan)
    except KeyboardInterrupt:
        cancel.set()
        progress.clear()
        raise
    progress.clear()
    if output == "json":
        click.echo(json.dumps(report.to_json(), indent=2))
    else:
        click.echo(_report_text(report))
    if not report.ok:
        sys.exit(exit_codes.PROBLEMS)


class _Progress:
    """A live `onboarding 37/100 …` line on stderr when it is a terminal; failures print as they come."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self.lock = threading.Lock()
        self.shown = False

    def __call__(self, event) -> None:
        with self.lock:
            if event.kind in ("failed", "retrying", "warning") and (self.enabled or event.kind == "failed"):
                self._clear()
                colour = "red" if event.kind == "failed" else "yellow"
                click.echo(click.style(f"{'✗' if event.kind == 'failed' else '!'} {event.account_id}: "
                                       f"{event.message}", fg=colour), err=True)
            if self.enabled and event.account_id is not None:
                finished = event.done + event.failed
                width = 30
                filled = int(width * finished / max(1, self.total))
                line = (f"\ronboarding [{'#' * filled}{'.' * (width - filled)}] {finished}/{self.total}"
                        + (f" ({event.failed} failed)" if event.failed else ""))
                click.echo(line, nl=False, err=True)
                self.shown = True

    def _clear(self) -> None:
        if self.shown:
            click.echo("\r\033[K", nl=False, err=True)
            self.shown = False

    def clear(self) -> None:
        with self.lock:
            self._clear()


_SYMBOL = {"create": "+", "update": "~", "undelete": "↺", "same": " ", "in-spec": "=", "pending": "?", "refused": "✗"}


def _plan_text(plan) -> str:
    lines = []
    for a in plan.accounts:
        if not a.changes and not a.warnings:
            continue
        lines.append(f"{_SYMBOL.get(a.action, '?')} {a.account_id}  {a.summary}")
        for d in a.diff:
            lines.append(f"      {d}")
        for w in a.warnings:
            lines.append(click.style(f"    ! {w}", fg="yellow"))
    counts = plan.counts()
    facts = plan.facts
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    lines.append(f"Onboarding plan ({plan.direction}, {len(plan.accounts)} account(s)): {summary}.")
    if plan.direction == "aws-to-gcp":
        lines.append(f"Pool {facts['pool']}: {facts['providers_in_pool']} provider(s) now, limit "
                     f"{facts['provider_limit']}; {plan.new_bindings} new binding(s) on {facts['service_account']}.")
    for w in plan.warnings:
        lines.append(click.style(f"! {w}", fg="yellow"))
    lines.append("Nothing changed (--plan).")
    return "\n".join(lines)


def _report_text(report) -> str:
    rows = [(r.account_id, r.target, r.status, r.message) for r in report.results]
    headers = ("ACCOUNT", "TARGET", "STATUS", "DETAIL")
    widths = [max(len(h), *(len(str(row[i])) for row in rows)) if rows else len(h) for i, h in enumerate(headers[:3])]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers[:3], widths)) + "  " + headers[3]]
    colour = {"done": "green", "unchanged": None, "failed": "red", "skipped": "yellow"}
    for row in rows:
        text = "  ".join(str(v).ljust(w) for v, w in zip(row[:3], widths)) + "  " + row[3]
        lines.append(click.style(text, fg=colour.get(row[2])))
    counts = report.counts()
    lines.append(f"{len(report.results)} account(s) in {report.wall_s:.1f} s: "
                 + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) + ".")
    if report.spec_entries_added:
        lines.append(f"Added {report.spec_entries_added} entr(ies) to {report.spec_path}; "
                     "`xwiz apply` writes their credential configurations.")
    if not report.ok:
        lines.append(click.style("Some accounts did not finish. Run the same command again: finished accounts are "
                                 f"skipped (journal: {report.journal_path}).", fg="red"))
    return "\n".join(lines)
