"""What every xwiz command shares: the error boundary, the spec file, the Services bundle."""

from __future__ import annotations

import functools
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

import click

from . import exit_codes


def error_boundary(fn: Callable[..., Any]) -> Callable[..., Any]:
    """xwiz's own errors become one line on stderr and their exit code; anything else is exit 3."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from wizard.model.errors import XwizError

        try:
            return fn(*args, **kwargs)
        except XwizError as e:
            click.echo(f"xwiz: {e}", err=True)
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("xwiz: interrupted", err=True)
            sys.exit(130)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except Exception as e:  # a bug: say so plainly, keep the traceback out of the user's way
            if os.environ.get("XWIZ_DEBUG"):
                traceback.print_exc()
            click.echo(f"xwiz: internal error: {type(e).__name__}: {e} (set XWIZ_DEBUG=1 for the traceback; "
                       f"please report it)", err=True)
            sys.exit(exit_codes.INTERNAL)

    return wrapper


class OneLineUsageError(click.ClickException):
    """A bad flag as ONE line on stderr (exit 2), like every other input error — no usage block."""

    exit_code = exit_codes.USAGE

    def show(self, file=None) -> None:
        click.echo(f"xwiz: {self.format_message()}", err=True)


class XwizCommand(click.Command):
    """A click command whose flag errors are one line naming the flag and the expected form."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as e:  # BadParameter, MissingParameter, NoSuchOption, …
            raise OneLineUsageError(f"{info_name}: {' '.join(e.format_message().split())}") from None


def spec_option(fn):
    return click.option("-f", "--file", "spec_file", default="xwiz.toml", show_default=True,
                        type=click.Path(dir_okay=False, path_type=Path),
                        help="The spec to read.")(fn)


def sandbox_option(fn):
    return click.option("--sandbox-file", default=None, envvar="XWIZ_SANDBOX", show_envvar=True,
                        type=click.Path(dir_okay=False),
                        help="A sandbox's endpoints.json: every cloud call goes to the sandbox.")(fn)


def load_spec_file(path: Path):
    from wizard.model.errors import InputError
    from wizard.model.spec import load_spec

    if not path.exists():
        raise InputError(None, f"{path} does not exist",
                         "an xwiz.toml (create one with `xwiz init`, or pass -f FILE)")
    return load_spec(path)


def make_services(sandbox_file: str | None, aws_profile: str | None = None):
    from wizard.services import Services

    return Services.resolve(sandbox_file, aws_profile)
