"""`xwiz aws-credentials`: the AWS `credential_process` for Google Cloud workloads.

The AWS SDKs run it for every client they build, so its cold start matters: on a cache hit it
reads one file and imports no SDK. Its stdout is the protocol's JSON (the one place xwiz prints a
secret); every error is one line on stderr and a non-zero exit, which the SDKs show verbatim.
"""

from __future__ import annotations

import json
import sys

import click

from . import exit_codes


@click.command("aws-credentials")
@click.option("--role-arn", required=True, help="The IAM role to assume, arn:aws:iam::ACCOUNT:role/NAME.")
@click.option("--audience", default=None,
              help="Audience of the Google ID token (the trust policy's accounts.google.com:oaud). "
                   "Default: sts.amazonaws.com.")
@click.option("--service-account", default=None,
              help="Mint the ID token for this service account with generateIdToken through Application "
                   "Default Credentials, instead of asking the metadata server.")
@click.option("--session-name", default=None, help="Role session name (2-64 of letters, digits and +=,.@_-). "
                                                   "Default: xwiz-HOSTNAME.")
@click.option("--duration", "duration_s", type=click.IntRange(900, 43200), default=3600, show_default=True,
              help="Session duration in seconds (at most the role's MaxSessionDuration).")
@click.option("--no-cache", is_flag=True, help="Always fetch new credentials (and do not store them).")
@click.option("--sandbox-file", default=None, envvar="XWIZ_SANDBOX", show_envvar=True,
              type=click.Path(dir_okay=False), help="A sandbox's endpoints.json.")
def aws_credentials_cmd(role_arn: str, audience: str | None, service_account: str | None, session_name: str | None,
                        duration_s: int, no_cache: bool, sandbox_file: str | None) -> None:
    """Print AWS credentials for a role, from this workload's Google identity (credential_process)."""
    from wizard.model.errors import XwizError
    from wizard.runtime import aws_credentials as rt

    try:
        request = rt.CredentialRequest(_role_arn(role_arn), _audience(audience), _service_account(service_account),
                                       _session_name(session_name), duration_s, sandbox_file)
        payload = rt.get_credentials(request, use_cache=not no_cache)
    except XwizError as e:
        _fail(str(e), getattr(e, "exit_code", exit_codes.PROBLEMS))
    except Exception as e:  # never a traceback into the AWS SDK's error message
        _fail(f"internal error: {type(e).__name__}: {e}", exit_codes.INTERNAL)
    sys.stdout.write(json.dumps(payload) + "\n")


def _fail(message: str, code: int) -> None:
    click.echo("xwiz aws-credentials: " + " ".join(message.split()), err=True)
    sys.exit(code)


def _role_arn(value: str) -> str:
    import re

    from wizard.model.errors import InputError

    if not re.fullmatch(r"arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/([\w+=,.@-]+/)*[\w+=,.@-]{1,64}", value):
        raise InputError("--role-arn", f"{value!r} is not an IAM role ARN",
                         "arn:aws:iam::111122223333:role/NAME")
    return value


def _audience(value: str | None) -> str:
    from wizard.model import identifiers as ids
    from wizard.runtime.aws_credentials import DEFAULT_AUDIENCE

    return DEFAULT_AUDIENCE if value is None else ids.id_token_audience(value, "--audience")


def _service_account(value: str | None) -> str | None:
    from wizard.model import identifiers as ids

    return None if value is None else ids.service_account_email(value, "--service-account")


def _session_name(value: str | None) -> str | None:
    import re

    from wizard.model.errors import InputError

    if value is not None and not re.fullmatch(r"[\w+=,.@-]{2,64}", value):
        raise InputError("--session-name", f"{value!r} is not a role session name",
                         "2-64 characters of letters, digits and +=,.@_-")
    return value
