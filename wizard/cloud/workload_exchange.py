"""The workload's whole token exchange, run with unmodified google-auth from a credential configuration.

`xwiz apply` uses it to verify what it wrote (wizard/engine/verify.py): the same `refresh()` the
workload will run, nothing hand-rolled. The result says that a token was obtained, its length and
expiry — never the token itself. (The doctor's hop-by-hop exchange is `exchange.py`.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from wizard.model.errors import CloudError, UnauthenticatedError

from . import errors

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
AWS_SUBJECT_TOKEN_TYPE = "urn:ietf:params:aws:token-type:aws4_request"


@dataclass(frozen=True)
class TokenFacts:
    """What may be shown about an access token: that it exists, how long it is, when it expires."""

    length: int
    expiry: str | None


def exchange_config(config: Mapping[str, Any], *, aws_source: str = "config", aws_profile: str | None = None,
                    token_file: str | None = None) -> TokenFacts:
    """Run the exchange google-auth runs on the workload and return facts about the access token.

    `aws_source`: "config" uses the configuration's own credential source (env keys or IMDS, as
    google-auth does); "boto" uses boto3's credential chain through `wizard.runtime.aws_supplier`.
    `token_file` replaces a file-sourced configuration's token path (the sandbox's EKS token).
    """
    from google.auth import aws, exceptions, identity_pool
    from google.auth.transport.requests import Request

    info = dict(config)
    try:
        if info.get("subject_token_type") == AWS_SUBJECT_TOKEN_TYPE:
            if aws_source == "boto":
                from wizard.runtime.aws_supplier import BotoSupplier, credentials_from_config

                creds = credentials_from_config(info, BotoSupplier(profile_name=aws_profile))
            else:
                creds = aws.Credentials.from_info(info, scopes=[CLOUD_PLATFORM])
        else:
            if token_file is not None:
                info["credential_source"] = {**info.get("credential_source", {}), "file": token_file}
            creds = identity_pool.Credentials.from_info(info, scopes=[CLOUD_PLATFORM])
        creds.refresh(Request())
    except exceptions.GoogleAuthError as e:
        raise _mapped(e) from None
    except ValueError as e:  # from_info on a malformed configuration
        raise UnauthenticatedError(f"google-auth rejected the credential configuration: {e}",
                                   service="google-auth") from None
    token = creds.token or ""
    return TokenFacts(len(token), creds.expiry.isoformat() + "Z" if creds.expiry else None)


def _mapped(exc: BaseException) -> CloudError:
    """google-auth's RefreshError carries (message, raw response body): map by the body when it has one."""
    args = getattr(exc, "args", ())
    message = str(args[0]) if args else type(exc).__name__
    for raw in args[1:]:
        if isinstance(raw, (bytes, str)):
            try:
                body = json.loads(raw)
            except ValueError:
                continue
            err = body.get("error") if isinstance(body, dict) else None
            if isinstance(err, dict) and isinstance(err.get("code"), int):
                service = "iamcredentials" if "impersonated" in message else "sts"
                mapped = errors.from_google_http(err["code"], body, service)
                mapped.message = f"{message}: {mapped.message}"
                mapped.args = (mapped.message,)
                return mapped
            if isinstance(err, str):  # STS's OAuth shape
                return UnauthenticatedError(f"{message}: {err}: {body.get('error_description', '')}",
                                            service="sts", code=err)
    mapped = errors.from_exception(exc, "google-auth")
    return mapped if isinstance(mapped, CloudError) else UnauthenticatedError(message, service="google-auth")
