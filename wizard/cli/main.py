"""The `xwiz` command. Keep imports here light: `xwiz --help` must start in well under 0.2 s."""

from __future__ import annotations

import sys

import click

from . import exit_codes


class LazyGroup(click.Group):
    """Subcommands imported only when used, so one command's SDK imports never slow another."""

    commands_by_name = {
        "sandbox": ("wizard.cli.sandbox_cmd", "sandbox"),
        "init": ("wizard.cli.setup_cmds", "init_cmd"),
        "plan": ("wizard.cli.setup_cmds", "plan_cmd"),
        "apply": ("wizard.cli.setup_cmds", "apply_cmd"),
        "doctor": ("wizard.cli.doctor_cmd", "doctor_cmd"),
        "export": ("wizard.cli.export_cmd", "export_cmd"),
        "onboard": ("wizard.cli.onboard_cmd", "onboard_cmd"),
        "aws-credentials": ("wizard.cli.aws_credentials_cmd", "aws_credentials_cmd"),
    }

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.commands_by_name))

    def get_command(self, ctx, name):
        if name in self.commands_by_name:
            import importlib

            module, attr = self.commands_by_name[name]
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="xwiz", prog_name="xwiz")
@click.option("--sandbox", is_flag=True,
              help="Open the wizard on an in-process sandbox (emulated clouds on 127.0.0.1; nothing real is touched).")
@click.option("--sandbox-dir", type=click.Path(file_okay=False), default=None, hidden=True,
              help="Where the in-process sandbox writes endpoints.json (benchmarks and tests use it).")
@click.pass_context
def cli(ctx: click.Context, sandbox: bool, sandbox_dir: str | None) -> None:
    """Set up and diagnose keyless authentication between AWS and Google Cloud.

    Without a command, opens the terminal wizard (`xwiz --sandbox` tries it on emulated clouds).
    """
    if ctx.invoked_subcommand is not None:
        if sandbox:
            raise click.UsageError("--sandbox opens the wizard; for commands run `xwiz sandbox up` and set "
                                   "XWIZ_SANDBOX")
        return
    if not sys.stdin.isatty() or not sys.stdout.isatty():
        click.echo(ctx.get_help())
        return
    from screens.app import run_tui  # Textual is imported only when the wizard opens

    ctx.exit(run_tui(sandbox=sandbox, sandbox_dir=sandbox_dir))


def main(argv: list[str] | None = None) -> int:
    try:
        cli.main(args=argv, prog_name="xwiz", standalone_mode=True)
    except SystemExit as e:
        return int(e.code or 0)
    except KeyboardInterrupt:
        return 130
    return exit_codes.OK


if __name__ == "__main__":
    sys.exit(main())
