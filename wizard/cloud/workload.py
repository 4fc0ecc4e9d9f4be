"""The workload's side of the token exchange, one hop at a time, for the doctor (`xwiz doctor`).

google-auth runs the whole chain inside `refresh()` and reports only the last error; the doctor
needs each hop separately: the instance metadata service (IMDSv1/v2), a real GetCallerIdentity
with the workload's own AWS credentials, the subject token signed the way google-auth signs it,
the STS exchange, generateAccessToken with the federated token, the GCE metadata ID token, and
AssumeRoleWithWebIdentity. Everything here returns plain data or raises `wizard.model.errors`;
nothing is logged, and no token leaves this module except as a return value.
"""

from __future__ import annotations

import email.utils
import json
import threading
from dataclasses import dataclass
from typing import Any

from wizard.model.errors import (
    CloudError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    TransientError,
    UnauthenticatedError,
)

from . import errors
from .endpoints import Endpoints

IMDS_TOKEN_TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
IMDS_TOKEN_HEADER = "X-aws-ec2-metadata-token"
AWS_SUBJECT_TOKEN_TYPE = "urn:ietf:params:aws:token-type:aws4_request"
TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
IAM_SCOPE = "https://www.googleapis.com/auth/iam"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


@dataclass(frozen=True)
class AwsCredentials:
    """A workload's AWS credentials. Never printed: use `redacted()` for evidence."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None
    expiration: str | None = None

    def __repr__(self) -> str:  # a stray repr in a traceback must not leak the secret
        return f"AwsCredentials({self.redacted()})"

    def redacted(self) -> dict[str, Any]:
        return {"access_key_id_prefix": self.access_key_id[:4], "access_key_id_length": len(self.access_key_id),
                "has_session_token": self.session_token is not None, "expiration": self.expiration}

    def secrets(self) -> tuple[str, ...]:
        return tuple(v for v in (self.access_key_id, self.secret_access_key, self.session_token) if v)


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    text: str
    date: float | None = None
    """The server's `Date` header as epoch seconds, when sent."""


def _parse_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


class ExchangeAdapter:
    """One per doctor run; thread-safe (one `requests.Session` per thread)."""

    def __init__(self, endpoints: Endpoints, timeout_s: float = 10.0) -> None:
        self.endpoints = endpoints
        self.timeout_s = timeout_s
        self._local = threading.local()

    # -- plain HTTP -----------------------------------------------------------------------------
    def _session(self):
        session = getattr(self._local, "session", None)
        if session is None:
            import requests

            session = self._local.session = requests.Session()
            session.trust_env = False  # a proxy between a workload and IMDS breaks IMDSv2 (hop limit)
        return session

    def http(self, method: str, url: str, *, headers: dict[str, str] | None = None, data: Any = None,
             timeout_s: float | None = None) -> HttpAnswer:
        """One request; a connection failure is a TransientError naming the URL, never a traceback."""
        try:
            r = self._session().request(method, url, headers=headers, data=data,
                                        timeout=timeout_s or self.timeout_s, allow_redirects=False)
        except Exception as e:
            raise TransientError(f"{method} {url} failed: {type(e).__name__}", service="http",
                                 code=type(e).__name__) from None
        return HttpAnswer(r.status_code, r.text, _parse_date(r.headers.get("Date")))

    def server_date(self, url: str) -> float | None:
        """The `Date` a server sends (any status): for measuring clock skew."""
        return self.http("GET", url, timeout_s=5).date

    # -- EC2 instance metadata ---------------------------------------------------------------------
    def imds_session_token(self, token_url: str, ttl_s: int = 300) -> str:
        """IMDSv2: `PUT /latest/api/token` (google-auth asks for 300 s)."""
        answer = self.http("PUT", token_url, headers={IMDS_TOKEN_TTL_HEADER: str(ttl_s)}, timeout_s=2)
        if answer.status != 200:
            raise CloudError(f"PUT {token_url} returned HTTP {answer.status}", service="imds", status=answer.status)
        return answer.text.strip()

    def imds_get(self, url: str, token: str | None = None) -> HttpAnswer:
        headers = {IMDS_TOKEN_HEADER: token} if token else None
        return self.http("GET", url, headers=headers, timeout_s=2)

    def imds_credentials(self, credentials_url: str, token: str | None) -> tuple[str, AwsCredentials]:
        """(role name, credentials) the way google-auth reads them: role from `url`, then `url/<role>`."""
        role = self.imds_get(credentials_url, token)
        if role.status != 200 or not role.text.strip():
            raise CloudError(f"Unable to retrieve AWS role name (HTTP {role.status})", service="imds",
                             status=role.status)
        name = role.text.strip().splitlines()[0]
        answer = self.imds_get(f"{credentials_url.rstrip('/')}/{name}", token)
        if answer.status != 200:
            raise CloudError(f"Unable to retrieve AWS security credentials (HTTP {answer.status})", service="imds",
                             status=answer.status)
        try:
            data = json.loads(answer.text)
            return name, AwsCredentials(data["AccessKeyId"], data["SecretAccessKey"], data.get("Token"),
                                        data.get("Expiration"))
        except (ValueError, KeyError, TypeError):
            raise CloudError("the instance metadata credentials are not the expected JSON", service="imds") from None

    # -- AWS STS with the workload's own credentials -------------------------------------------------
    def _sts(self, region: str | None, credentials: AwsCredentials | None) -> Any:
        """An STS client with explicit credentials (or unsigned), from one shared botocore session:
        loading botocore's models is the expensive part, the client itself is cheap."""
        from botocore import UNSIGNED
        from botocore.config import Config

        kw: dict[str, Any] = {}
        if credentials is None:
            config = Config(signature_version=UNSIGNED, retries={"max_attempts": 1})
        else:
            config = Config(retries={"max_attempts": 1}, connect_timeout=10, read_timeout=30)
            kw = {"aws_access_key_id": credentials.access_key_id,
                  "aws_secret_access_key": credentials.secret_access_key,
                  "aws_session_token": credentials.session_token}
        with _BOTOCORE_LOCK:
            session = _botocore_session()
            return session.create_client("sts", region_name=region or self.endpoints.aws.region or "us-east-1",
                                         endpoint_url=self.endpoints.aws.endpoint_url, config=config, **kw)

    def _aws_call(self, fn) -> Any:
        from .retry import call_with_retry

        def once():
            try:
                return fn()
            except Exception as e:
                raise errors.from_exception(e, "aws:sts") from None

        return call_with_retry(once, errors.is_retryable)

    def aws_caller_identity(self, credentials: AwsCredentials, region: str) -> dict[str, str]:
        """A real `sts:GetCallerIdentity` signed with these credentials, at the region's endpoint."""
        out = self._aws_call(lambda: self._sts(region, credentials).get_caller_identity())
        return {"Account": out["Account"], "Arn": out["Arn"], "UserId": out["UserId"]}

    def assume_role_with_web_identity(self, role_arn: str, token: str, session_name: str) -> dict[str, Any]:
        """Needs no AWS credentials: the web identity token is the credential."""
        return self._aws_call(lambda: self._sts(None, None).assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName=session_name, WebIdentityToken=token))

    def caller_identity_with_session(self, session: dict[str, Any]) -> dict[str, str]:
        """GetCallerIdentity with the `Credentials` an AssumeRole* call returned."""
        creds = AwsCredentials(session["AccessKeyId"], session["SecretAccessKey"], session.get("SessionToken"))
        return self.aws_caller_identity(creds, self.endpoints.aws.region or "us-east-1")

    # -- Google STS ---------------------------------------------------------------------------------
    def aws_subject_token(self, credentials: AwsCredentials, region: str, audience: str) -> str:
        """The serialized, SigV4-signed GetCallerIdentity request google-auth sends as subject token.

        Built by google-auth itself (a supplier), so the doctor signs exactly as the workload will.
        """
        from google.auth import aws

        class _Supplier(aws.AwsSecurityCredentialsSupplier):
            def get_aws_security_credentials(self, context, request):
                return aws.AwsSecurityCredentials(credentials.access_key_id, credentials.secret_access_key,
                                                  credentials.session_token)

            def get_aws_region(self, context, request):
                return region

        try:
            creds = aws.Credentials(audience=audience, subject_token_type=AWS_SUBJECT_TOKEN_TYPE,
                                    token_url=self.endpoints.google.sts_token_url,
                                    aws_security_credentials_supplier=_Supplier(),
                                    universe_domain=self.endpoints.google.universe_domain)
            return creds.retrieve_subject_token(None)
        except Exception as e:
            raise errors.from_exception(e, "sts") from None

    def sts_exchange(self, audience: str, subject_token: str, subject_token_type: str,
                     scopes: list[str], token_url: str | None = None) -> dict[str, Any]:
        """`POST sts/v1/token`. An OAuth error becomes a CloudError with `code` = the OAuth `error`
        and `message` = its `error_description` (S1–S17 of cloud-facts)."""
        from google.auth.transport.requests import Request
        from google.oauth2 import sts

        client = sts.Client(token_url or self.endpoints.google.sts_token_url)
        try:
            return client.exchange_token(Request(self._session()), TOKEN_EXCHANGE_GRANT, subject_token,
                                         subject_token_type, audience=audience, scopes=scopes,
                                         requested_token_type=ACCESS_TOKEN_TYPE)
        except Exception as e:
            raise _oauth_error(e) from None

    # -- IAM Credentials with a given bearer token --------------------------------------------------
    def generate_access_token(self, email_: str, bearer_token: str, scopes: list[str],
                              lifetime_s: int = 3600, iamcredentials_base: str | None = None) -> dict[str, Any]:
        """generateAccessToken as the federated principal. Returns {"access_token", "expire_time"}."""
        import google.oauth2.credentials
        from google.cloud import iam_credentials_v1
        from google.protobuf import duration_pb2

        base = (iamcredentials_base or self.endpoints.google.iamcredentials).rstrip("/")
        client = iam_credentials_v1.IAMCredentialsClient(
            transport="rest", credentials=google.oauth2.credentials.Credentials(bearer_token),
            client_options={"api_endpoint": base, "universe_domain": self.endpoints.google.universe_domain})
        try:
            out = client.generate_access_token(name=f"projects/-/serviceAccounts/{email_}", scope=scopes,
                                               lifetime=duration_pb2.Duration(seconds=lifetime_s))
        except Exception as e:
            raise errors.from_exception(e, "iamcredentials") from None
        return {"access_token": out.access_token, "expire_time": out.expire_time.isoformat()}

    def prewarm(self) -> None:
        """Import the heavy client libraries ahead of need (called from a background thread)."""
        try:
            import google.auth.aws  # noqa: F401
            import google.cloud.iam_credentials_v1  # noqa: F401
            import google.oauth2.sts  # noqa: F401
        except Exception:  # an import problem surfaces again, properly, where the module is used
            pass

    # -- GCE metadata ID token ------------------------------------------------------------------------
    def metadata_id_token(self, audience: str, metadata_host: str | None = None, fmt: str = "full") -> str:
        """The default service account's ID token from the metadata server (`Metadata-Flavor: Google`)."""
        from urllib.parse import quote

        import os

        host = (metadata_host or self.endpoints.google.metadata_host or os.environ.get("GCE_METADATA_HOST")
                or "metadata.google.internal")
        url = (f"http://{host}/computeMetadata/v1/instance/service-accounts/default/identity"
               f"?audience={quote(audience, safe='')}&format={fmt}")
        answer = self.http("GET", url, headers={"Metadata-Flavor": "Google"}, timeout_s=5)
        if answer.status != 200:
            raise CloudError(f"the metadata server answered HTTP {answer.status} for an ID token",
                             service="metadata", status=answer.status)
        return answer.text.strip()

    def metadata_email(self, metadata_host: str | None = None) -> str | None:
        """The default service account of the metadata server here, or None when there is none."""
        import os

        # off Google Cloud the name metadata.google.internal does not resolve: a quick, quiet None
        host = (metadata_host or self.endpoints.google.metadata_host or os.environ.get("GCE_METADATA_HOST")
                or "metadata.google.internal")
        try:
            answer = self.http("GET", f"http://{host}/computeMetadata/v1/instance/service-accounts/default/email",
                               headers={"Metadata-Flavor": "Google"}, timeout_s=1)
        except TransientError:
            return None
        return answer.text.strip() if answer.status == 200 else None

    def call_api(self, url: str, bearer_token: str) -> HttpAnswer:
        return self.http("GET", url, headers={"Authorization": f"Bearer {bearer_token}"})


_BOTOCORE_LOCK = threading.Lock()
_BOTOCORE: list[Any] = []


def _botocore_session() -> Any:
    """One botocore session per process, used only to create clients with explicit credentials: a
    cache of parsed service models, never a client and never credentials (call under the lock)."""
    if not _BOTOCORE:
        import botocore.session

        _BOTOCORE.append(botocore.session.get_session())
    return _BOTOCORE[0]


def _oauth_error(exc: BaseException) -> BaseException:
    """google-auth's OAuthError args are ('Error code X: Y', raw body); keep X and Y, never the body's token."""
    name = type(exc).__name__
    if not type(exc).__module__.startswith("google.auth"):
        return errors.from_exception(exc, "sts")
    raw = exc.args[1] if len(exc.args) > 1 else None
    body: Any = None
    if isinstance(raw, (str, bytes)):
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        code, description = body["error"], str(body.get("error_description", ""))
        if code == "temporarily_unavailable":
            return TransientError(description, service="sts", status=503, code=code)
        if code in ("invalid_grant", "unauthorized_client"):
            return UnauthenticatedError(description, service="sts", status=400, code=code)
        return InvalidRequestError(description, service="sts", status=400, code=code)
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        status = int(body["error"].get("code") or 400)
        return errors.from_google_http(status, body, "sts")
    message = str(exc.args[0]) if exc.args else name
    if name == "TransportError":
        return TransientError(message, service="sts", code=name)
    return CloudError(message, service="sts", code=name)


__all__ = ["AwsCredentials", "ExchangeAdapter", "HttpAnswer", "NotFoundError", "PermissionDeniedError"]
