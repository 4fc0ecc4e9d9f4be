"""The workload's AWS identity, found the way google-auth's AWS source finds it (cloud-facts §4.2):
`AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` in the environment first, else the EC2 instance
metadata service at the credential configuration's `url` (with an IMDSv2 session token when the
configuration has `imdsv2_session_token_url`). Sources google-auth cannot use (profiles, ECS/EKS
container credentials, web identity) are named, because they explain "Unable to retrieve AWS role name".
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from wizard.cloud.workload import AwsCredentials
from wizard.model import credconfig

from .context import Context


def credential_source(ctx: Context) -> dict[str, Any]:
    """The configuration's credential_source, or what xwiz writes when there is no file."""
    t = ctx.inputs.aws_to_gcp
    data = t.cred_config.data if t and t.cred_config else None
    source = data.get("credential_source") if isinstance(data, Mapping) else None
    if isinstance(source, Mapping):
        return dict(source)
    ep = ctx.services.endpoints
    endpoints = credconfig.GoogleEndpoints(imds_base=ep.aws.imds_url)
    return credconfig.aws_credential_source(imdsv2=t.imdsv2 if t else True, endpoints=endpoints)


def env_credentials(environ: Mapping[str, str]) -> AwsCredentials | None:
    key_id, secret = environ.get("AWS_ACCESS_KEY_ID"), environ.get("AWS_SECRET_ACCESS_KEY")
    if key_id and secret:
        return AwsCredentials(key_id, secret, environ.get("AWS_SESSION_TOKEN") or None)
    return None


def other_sources(ctx: Context) -> list[str]:
    """AWS credential sources present here that google-auth's AWS source does not read (M15)."""
    env = ctx.environ
    found = []
    if env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") or env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        found.append("container credentials (ECS/Fargate or EKS Pod Identity)")
    if env.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
        found.append("a web identity token (EKS IRSA)")
    if env.get("AWS_PROFILE"):
        found.append(f"profile {env['AWS_PROFILE']}")
    elif (ctx.home / ".aws" / "credentials").exists() or (ctx.home / ".aws" / "config").exists():
        found.append("~/.aws profiles")
    return found


def probe_imds(ctx: Context, source: Mapping[str, Any]) -> dict[str, Any]:
    """PUT a session token and GET the role list without one, side by side: is IMDSv2 required?"""
    workload = ctx.services.workload
    url = source.get("url")
    token_url = source.get("imdsv2_session_token_url") or _token_url_near(url)

    def put():
        try:
            return workload.imds_session_token(token_url), None
        except Exception as e:  # noqa: BLE001 - reported as evidence
            return None, getattr(e, "message", str(e))

    def get():
        try:
            return workload.imds_get(url).status, None
        except Exception as e:  # noqa: BLE001
            return None, getattr(e, "message", str(e))

    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="xwiz-imds") as pool:
        f_put, f_get = pool.submit(put), pool.submit(get)
        (token, put_error), (tokenless_status, get_error) = f_put.result(), f_get.result()
    if token:
        ctx.secret(token)
    return {"token": token, "put_error": put_error, "tokenless_status": tokenless_status, "get_error": get_error,
            "token_url": token_url}


def _token_url_near(url: str | None) -> str | None:
    if not url or "/latest/" not in url:
        return None
    return url.split("/latest/", 1)[0] + "/latest/api/token"


def imds_region(ctx: Context, region_url: str, token: str | None) -> tuple[str | None, int | None]:
    answer = ctx.services.workload.imds_get(region_url, token)
    if answer.status != 200 or not answer.text.strip():
        return None, answer.status
    return answer.text.strip()[:-1], answer.status  # google-auth drops the AZ letter
