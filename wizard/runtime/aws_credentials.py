"""The credential_process behind `xwiz aws-credentials`: a Google ID token in, AWS credentials out.

1. ID token: from the metadata server of GCE, Cloud Run or GKE (`GCE_METADATA_HOST` if set, as
   google-auth reads it), or, with a service account, from IAM Credentials `generateIdToken`
   acting with Application Default Credentials (impersonation).
2. `sts:AssumeRoleWithWebIdentity` with it: no AWS credentials needed, the token is the credential.
3. Printed as the credential_process JSON (`Version` 1). The result is cached in a 0600 file
   under `$XDG_CACHE_HOME/xwiz/aws-credentials/` until 5 minutes before it expires, so the AWS
   SDK calling us for every client costs one file read.

The cache hit path imports nothing heavy (no boto3, no google-auth): the SDKs load only when a
token must be fetched. Nothing here logs a token or a key; the caller prints the payload to
stdout, the one place the protocol wants it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from wizard.model.errors import XwizError

CACHE_MARGIN_S = 300
"""Credentials are reused until this close to their expiry (the issue's 5 minutes)."""
DEFAULT_AUDIENCE = "sts.amazonaws.com"
DEFAULT_DURATION_S = 3600
METADATA_TIMEOUT_S = 3.0
DEFAULT_METADATA_HOST = "metadata.google.internal"
_SESSION_NAME_BAD = re.compile(r"[^\w+=,.@-]")


class CredentialsError(XwizError):
    """The helper could not get credentials; the message is one line and names the next step."""


@dataclass(frozen=True)
class CredentialRequest:
    role_arn: str
    audience: str = DEFAULT_AUDIENCE
    service_account: str | None = None
    session_name: str | None = None
    duration_s: int = DEFAULT_DURATION_S
    sandbox_file: str | None = None

    def cache_key(self) -> str:
        parts = [self.role_arn, self.audience, self.service_account or "", self.session_name or "",
                 str(self.duration_s), os.path.abspath(self.sandbox_file) if self.sandbox_file else ""]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]


# ---------------------------------------------------------------------------------------------- cache


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "xwiz" / "aws-credentials"


def cache_file(request: CredentialRequest, environ: Mapping[str, str] | None = None) -> Path:
    return cache_dir(environ) / f"{request.cache_key()}.json"


def expiry_epoch(payload: Mapping[str, Any]) -> float | None:
    try:
        text = str(payload["Expiration"]).replace("Z", "+00:00")
        return dt.datetime.fromisoformat(text).timestamp()
    except (KeyError, ValueError):
        return None


def read_cache(path: Path, now: float | None = None) -> dict[str, Any] | None:
    """The cached payload if it is still good for more than CACHE_MARGIN_S, else None."""
    try:
        st = path.stat()
        if st.st_mode & 0o077 or st.st_uid != os.getuid():
            return None  # someone else could have written or read it: do not trust it
        payload = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(payload, dict) or payload.get("Version") != 1:
        return None
    exp = expiry_epoch(payload)
    if exp is None or exp - (time.time() if now is None else now) <= CACHE_MARGIN_S:
        return None
    return payload


def write_cache(path: Path, payload: Mapping[str, Any]) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(payload, fh)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------------------------------- metadata


def metadata_host(environ: Mapping[str, str] | None = None, sandbox: Mapping[str, Any] | None = None,
                  probe_platform: bool = True) -> str | None:
    """Where the metadata server is: `GCE_METADATA_HOST`, the sandbox's, or GCE's own when on Google Cloud."""
    env = os.environ if environ is None else environ
    if env.get("GCE_METADATA_HOST"):
        return env["GCE_METADATA_HOST"]
    if sandbox is not None:
        return (sandbox.get("gcp") or {}).get("metadata_host")
    if probe_platform and _on_google_cloud(env):
        return DEFAULT_METADATA_HOST
    return None


def _on_google_cloud(env: Mapping[str, str]) -> bool:
    # What google-auth's detection looks at, without a network probe: Cloud Run / Functions set
    # K_SERVICE, GCE and GKE nodes say so in the DMI product name.
    if env.get("K_SERVICE") or env.get("FUNCTION_TARGET"):
        return True
    try:
        return "Google" in Path("/sys/class/dmi/id/product_name").read_text()
    except OSError:
        return False


def _metadata_get(host: str, path: str, params: Mapping[str, str] | None = None,
                  timeout: float = METADATA_TIMEOUT_S) -> str:
    import urllib.error  # here, not at the top: a cache hit never needs urllib.request
    import urllib.parse
    import urllib.request

    url = f"http://{host}/computeMetadata/v1/{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    request = urllib.request.Request(url, headers={"Metadata-Flavor": "Google"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read().decode("utf-8").strip()
    except urllib.error.HTTPError as e:
        detail = e.read().decode("utf-8", "replace").strip().splitlines()
        raise CredentialsError(f"the metadata server at {host} answered HTTP {e.code} for {path}"
                               + (f": {detail[0][:200]}" if detail else "")) from None
    except (OSError, socket.timeout) as e:  # URLError is an OSError
        reason = getattr(e, "reason", e)
        raise CredentialsError(f"the metadata server at {host} is not reachable ({reason}); outside GCE, Cloud "
                               f"Run and GKE pass --service-account EMAIL to mint the ID token with "
                               f"generateIdToken through your Application Default Credentials") from None


def metadata_default_email(host: str, timeout: float = 1.0) -> str | None:
    """The email of the metadata server's default service account, or None when there is no server."""
    try:
        return _metadata_get(host, "instance/service-accounts/default/email", timeout=timeout) or None
    except CredentialsError:
        return None


def metadata_id_token(host: str, audience: str) -> str:
    return _metadata_get(host, "instance/service-accounts/default/identity", {"audience": audience})


# ---------------------------------------------------------------------------------------------- the exchange


def default_session_name() -> str:
    host = _SESSION_NAME_BAD.sub("-", socket.gethostname().split(".")[0])[:58]
    return f"xwiz-{host}" if host else "xwiz"


def fetch_id_token(request: CredentialRequest, endpoints: Any) -> str:
    if request.service_account:
        from wizard.cloud.gcp import GcpAdapter
        from wizard.model.errors import CloudError, PermissionDeniedError

        gcp = GcpAdapter(endpoints.google)
        try:
            return gcp.generate_id_token(request.service_account, request.audience, include_email=False)
        except PermissionDeniedError as e:
            raise CredentialsError(token_creator_missing(request.service_account, _caller_member(gcp), e)) from None
        except CloudError as e:
            raise CredentialsError(f"generateIdToken for {request.service_account} failed: {_one_line(e)}") from None
    host = metadata_host(sandbox=endpoints.sandbox)
    if host is None:
        raise CredentialsError("no metadata server here (not GCE, Cloud Run or GKE, and GCE_METADATA_HOST is not "
                               "set); pass --service-account EMAIL to mint the ID token with generateIdToken "
                               "through your Application Default Credentials")
    return metadata_id_token(host, request.audience)


OPENID_TOKEN_CREATOR = "roles/iam.serviceAccountOpenIdTokenCreator"


def token_creator_missing(service_account: str, member: str | None, error: Any) -> str:
    """generateIdToken refused: say who needs which role — being a project Owner or Editor is not enough."""
    who = member or "the identity of your Application Default Credentials"
    return (f"generateIdToken for {service_account} was refused ({_one_line(error)}); {who} needs "
            f"{OPENID_TOKEN_CREATOR} (or roles/iam.serviceAccountTokenCreator) on it — project Owner/Editor do "
            f"not include iam.serviceAccounts.getOpenIdToken: gcloud iam service-accounts add-iam-policy-binding "
            f"{service_account} --member={member or 'user:YOU'} --role={OPENID_TOKEN_CREATOR}")


def _caller_member(gcp: Any) -> str | None:
    try:
        return gcp.caller_member()
    except Exception:  # noqa: BLE001 — only decorates an error message
        return None


def assume_role(request: CredentialRequest, token: str, endpoints: Any) -> dict[str, Any]:
    from wizard.cloud.aws import AwsAdapter
    from wizard.model.errors import CloudError

    adapter = AwsAdapter(endpoints.aws)
    session_name = request.session_name or default_session_name()
    try:
        out = adapter.assume_role_with_web_identity(request.role_arn, token, session_name, request.duration_s)
    except CloudError as e:
        raise CredentialsError(explain_sts_error(request, e)) from None
    creds = out["Credentials"]
    expiration = creds["Expiration"]
    if isinstance(expiration, dt.datetime):
        expiration = expiration.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"Version": 1, "AccessKeyId": creds["AccessKeyId"], "SecretAccessKey": creds["SecretAccessKey"],
            "SessionToken": creds["SessionToken"], "Expiration": str(expiration)}


def explain_sts_error(request: CredentialRequest, e: Any) -> str:
    code = getattr(e, "code", None) or type(e).__name__
    message = _one_line(e)
    role = request.role_arn
    if code == "AccessDenied":
        who = request.service_account or "the metadata server's service account"
        return (f"AWS refused AssumeRoleWithWebIdentity on {role} (AccessDenied: {message}); the role's trust "
                f"policy must allow Federated accounts.google.com with accounts.google.com:aud = the uniqueId of "
                f"{who}, :oaud = \"{request.audience}\" and :sub = the uniqueId (run `xwiz plan` / `xwiz apply` "
                f"for its [[gcp_to_aws]] entry)")
    if code == "InvalidIdentityToken":
        return f"AWS could not validate the Google ID token for {role} (InvalidIdentityToken: {message})"
    if code in ("ExpiredTokenException", "ExpiredToken"):
        return f"AWS says the Google ID token expired (ExpiredTokenException: {message}); check this machine's clock"
    if code == "ValidationError":
        return f"AWS rejected the request for {role} (ValidationError: {message})"
    return f"AssumeRoleWithWebIdentity on {role} failed ({code}: {message})"


def _one_line(e: Any) -> str:
    return " ".join(str(getattr(e, "message", None) or e).split())[:400]


def get_credentials(request: CredentialRequest, *, environ: Mapping[str, str] | None = None,
                    use_cache: bool = True) -> dict[str, Any]:
    """The credential_process payload for `request`, from the cache when it is still good."""
    path = cache_file(request, environ)
    if use_cache:
        cached = read_cache(path)
        if cached is not None:
            return cached
    from wizard.cloud.endpoints import Endpoints

    endpoints = Endpoints.from_sandbox_file(request.sandbox_file) if request.sandbox_file else Endpoints.real()
    token = fetch_id_token(request, endpoints)
    payload = assume_role(request, token, endpoints)
    if use_cache:
        try:
            write_cache(path, payload)
        except OSError:
            pass  # a read-only home still gets credentials, just without the cache
    return payload


def credential_process_command(role_arn: str, audience: str, *, service_account: str | None = None,
                               duration_s: int | None = None, sandbox_file: str | None = None,
                               executable: str = "xwiz") -> str:
    """The `credential_process` line for an AWS profile (botocore splits it like a POSIX shell)."""
    import shlex

    args = [executable, "aws-credentials", "--role-arn", role_arn, "--audience", audience]
    if service_account:
        args += ["--service-account", service_account]
    if duration_s:
        args += ["--duration", str(duration_s)]
    if sandbox_file:
        args += ["--sandbox-file", sandbox_file]
    return " ".join(shlex.quote(a) for a in args)
