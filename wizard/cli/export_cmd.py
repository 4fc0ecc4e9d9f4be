"""`xwiz export --format terraform|shell`: the plan as Terraform resources or gcloud/aws commands."""

from __future__ import annotations

from pathlib import Path

import click

from .common import XwizCommand, error_boundary, load_spec_file, make_services, sandbox_option, spec_option


@click.command("export", cls=XwizCommand)
@spec_option
@sandbox_option
@click.option("--format", "fmt", type=click.Choice(["terraform", "shell", "cloudformation"]), required=True,
              help="Terraform resources, a shell script of gcloud/aws commands, or (gcp_to_aws roles) a "
                   "CloudFormation template with its StackSets commands.")
@click.option("--all", "everything", is_flag=True,
              help="Everything the spec describes, read from nothing (default: only what `xwiz apply` would change).")
@click.option("--project-number", help="The project's number (12 digits or so), so --all needs no credentials.")
@click.option("--output-file", "output_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write here instead of standard output.")
@error_boundary
def export_cmd(spec_file: Path, sandbox_file: str | None, fmt: str, everything: bool, project_number: str | None,
               output_file: Path | None) -> None:
    """Print the same plan as Terraform or as gcloud commands."""
    from wizard.engine import export
    from wizard.engine.planner import Planner
    from wizard.model import identifiers
    from wizard.model.errors import InputError

    spec = load_spec_file(spec_file)
    if project_number is not None:
        project_number = identifiers.project_number(project_number, "--project-number")
        if spec.gcp.project_number and spec.gcp.project_number != project_number:
            raise InputError("--project-number", f"is {project_number} but xwiz.toml says {spec.gcp.project_number}",
                             "the same number as gcp.project_number, or leave one out")
    services = make_services(sandbox_file)  # builds no client and reads no credentials by itself
    planner = Planner(services, spec, spec_file.parent)
    number = project_number or spec.gcp.project_number
    if fmt == "cloudformation":  # the AWS roles of [[gcp_to_aws]] (wizard/engine/export_aws.py)
        from wizard.engine.export_aws import export_cloudformation, unique_ids_for

        text = export_cloudformation(spec, unique_ids={} if everything else unique_ids_for(spec, services))
        if output_file is None:
            click.echo(text, nl=False)
        else:
            output_file.write_text(text)
            click.echo(f"Wrote {output_file}.")
        return
    if everything:
        if not number:
            number, _ = services.gcp.service_states(spec.gcp.project, ["iam.googleapis.com"])
        items = export.collect(spec, number, None, planner)
    else:
        obs = planner.observe()
        planner.plan_from(obs)  # the same refusals as `xwiz plan` (e.g. a provider of another type)
        items = export.collect(spec, obs.number, obs, planner)
    text = export.to_terraform(items) if fmt == "terraform" else export.to_shell(items)
    if fmt == "terraform" and spec.gcp_to_aws:
        from wizard.engine.export_aws import export_terraform_aws

        seen = None if everything else obs.extra.get("gcp_to_aws")
        known = {k: v for k, v in seen.unique_ids.items() if v} if seen else {}
        text += "\n" + export_terraform_aws(spec, unique_ids=known)
    if output_file is None:
        click.echo(text, nl=False)
    else:
        output_file.write_text(text)
        click.echo(f"Wrote {output_file}.")
