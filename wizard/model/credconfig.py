"""Credential configuration files (`external_account`), built the way gcloud builds them, and a linter.

Format and key order follow gcloud's generator
(`googlecloudsdk/command_lib/iam/byoid_utilities/cred_config.py`, cloud-facts §4.1). Its current
version puts `universe_domain` FIRST and always writes it; older versions (as §4.1 describes) wrote it
last and only outside googleapis.com. google-auth reads both (default `googleapis.com`), and so does
`lint_credential_config`. After it: `type`, `audience`, `subject_token_type`, `token_url`,
`credential_source`, then `service_account_impersonation_url` (+ `service_account_impersonation`
only when a lifetime is set) or, without a service account, `token_info_url`.

A configuration holds no secret: it tells google-auth where to find the workload's own AWS
credentials or token file. `imdsv2_session_token_url` is on by default (M13).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from wizard.model import identifiers as ids
from wizard.model.errors import Finding, InputError, show
from wizard.model.principals import provider_resource

AWS_SUBJECT_TOKEN_TYPE = "urn:ietf:params:aws:token-type:aws4_request"
JWT_SUBJECT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
ID_TOKEN_SUBJECT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
DEFAULT_UNIVERSE = "googleapis.com"
AWS_VERIFICATION_URL = "https://sts.{region}.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15"
IMDS_HOSTS = ("169.254.169.254", "[fd00:ec2::254]")

# Keys google-auth's external_account reads (cloud-facts §4.1); anything else is a typo or a stray.
KNOWN_KEYS = ("universe_domain", "type", "audience", "subject_token_type", "token_url", "token_info_url",
              "credential_source", "service_account_impersonation_url", "service_account_impersonation",
              "client_id", "client_secret", "quota_project_id", "workforce_pool_user_project", "trust_boundary")


@dataclass(frozen=True)
class GoogleEndpoints:
    """Where a workload's configuration sends it. Real Google and AWS by default; the sandbox overrides all."""

    sts_token_url: str = "https://sts.googleapis.com/v1/token"
    iamcredentials_base: str = "https://iamcredentials.googleapis.com/"
    universe_domain: str = DEFAULT_UNIVERSE
    imds_base: str = "http://169.254.169.254"
    aws_verification_url: str = AWS_VERIFICATION_URL

    @classmethod
    def for_universe(cls, universe_domain: str) -> "GoogleEndpoints":
        """gcloud's URLs for a universe: `https://sts.<universe>/v1/token` and `https://iamcredentials.<universe>/`."""
        return cls(sts_token_url=f"https://sts.{universe_domain}/v1/token",
                   iamcredentials_base=f"https://iamcredentials.{universe_domain}/",
                   universe_domain=universe_domain)

    @classmethod
    def from_sandbox(cls, endpoints: Mapping[str, Any]) -> "GoogleEndpoints":
        """From a sandbox's `endpoints.json` dict (no I/O: the caller loads it)."""
        gcp, aws = endpoints["gcp"], endpoints["aws"]
        return cls(sts_token_url=gcp["sts_token_url"], iamcredentials_base=gcp["iamcredentials"],
                   universe_domain=gcp["universe_domain"], imds_base=aws["imds_url"])

    @property
    def token_info_url(self) -> str:
        """gcloud's `token_info_url`: the STS base + `v1/introspect`."""
        base = self.sts_token_url
        return base[: -len("token")] + "introspect" if base.endswith("/token") else base.rstrip("/") + "/introspect"

    def impersonation_url(self, service_account: str) -> str:
        base = self.iamcredentials_base if self.iamcredentials_base.endswith("/") else self.iamcredentials_base + "/"
        return f"{base}v1/projects/-/serviceAccounts/{service_account}:generateAccessToken"

    @property
    def _imds(self) -> str:
        return self.imds_base.rstrip("/")

    @property
    def region_url(self) -> str:
        return f"{self._imds}/latest/meta-data/placement/availability-zone"

    @property
    def credentials_url(self) -> str:
        return f"{self._imds}/latest/meta-data/iam/security-credentials"

    @property
    def imdsv2_session_token_url(self) -> str:
        return f"{self._imds}/latest/api/token"


DEFAULT_ENDPOINTS = GoogleEndpoints()


def aws_credential_source(*, imdsv2: bool = True, endpoints: GoogleEndpoints = DEFAULT_ENDPOINTS) -> dict[str, str]:
    """gcloud `--aws [--enable-imdsv2]`'s credential_source, in its key order."""
    source = {
        "environment_id": "aws1",
        "region_url": endpoints.region_url,
        "url": endpoints.credentials_url,
        "regional_cred_verification_url": endpoints.aws_verification_url,
    }
    if imdsv2:
        source["imdsv2_session_token_url"] = endpoints.imdsv2_session_token_url
    return source


def file_credential_source(token_path: str, *, format_type: str | None = "text",
                           subject_token_field_name: str | None = None) -> dict[str, Any]:
    """gcloud `--credential-source-file=P [--credential-source-type=T]`'s credential_source."""
    source: dict[str, Any] = {"file": ids.file_path(token_path, "token_path")}
    if format_type is not None:
        if format_type not in ("text", "json"):
            raise InputError("format_type", f"{show(format_type)} is not a token format", "text or json")
        token_format: dict[str, str] = {"type": format_type}
        if format_type == "json":
            if not subject_token_field_name:
                raise InputError("subject_token_field_name", "is required for JSON formatted tokens",
                                 "the JSON field holding the token, e.g. id_token")
            token_format["subject_token_field_name"] = subject_token_field_name
        source["format"] = token_format
    return source


def _config(number: str, pool: str, provider: str, subject_token_type: str, credential_source: dict[str, Any],
            service_account: str | None, token_lifetime_s: int | None, endpoints: GoogleEndpoints) -> dict[str, Any]:
    config: dict[str, Any] = {
        "universe_domain": endpoints.universe_domain,
        "type": "external_account",
        "audience": provider_resource(number, pool, provider),
        "subject_token_type": subject_token_type,
        "token_url": endpoints.sts_token_url,
        "credential_source": credential_source,
    }
    if service_account is not None:
        email = ids.service_account_email(service_account)
        config["service_account_impersonation_url"] = endpoints.impersonation_url(email)
        if token_lifetime_s is not None:
            config["service_account_impersonation"] = {
                "token_lifetime_seconds": ids.token_lifetime(token_lifetime_s, "token_lifetime")}
    else:
        if token_lifetime_s is not None:
            raise InputError("token_lifetime", "applies only with a service account to impersonate",
                             "a service_account, or no token_lifetime")
        config["token_info_url"] = endpoints.token_info_url
    return config


def aws_credential_config(number: str, pool: str, provider: str, service_account: str | None = None, *,
                          imdsv2: bool = True, token_lifetime_s: int | None = None,
                          endpoints: GoogleEndpoints = DEFAULT_ENDPOINTS) -> dict[str, Any]:
    """`gcloud iam workload-identity-pools create-cred-config … --aws [--enable-imdsv2]
    [--service-account=SA [--service-account-token-lifetime-seconds=N]]`."""
    return _config(number, pool, provider, AWS_SUBJECT_TOKEN_TYPE, aws_credential_source(imdsv2=imdsv2,
                   endpoints=endpoints), service_account, token_lifetime_s, endpoints)


def file_credential_config(number: str, pool: str, provider: str, service_account: str | None = None, *,
                           token_path: str = ids.DEFAULT_EKS_TOKEN_PATH, format_type: str | None = "text",
                           subject_token_field_name: str | None = None, token_lifetime_s: int | None = None,
                           endpoints: GoogleEndpoints = DEFAULT_ENDPOINTS) -> dict[str, Any]:
    """`gcloud … create-cred-config … --credential-source-file=P --credential-source-type=text` (EKS, M25)."""
    return _config(number, pool, provider, JWT_SUBJECT_TOKEN_TYPE,
                   file_credential_source(token_path, format_type=format_type,
                                          subject_token_field_name=subject_token_field_name),
                   service_account, token_lifetime_s, endpoints)


def render(config: Mapping[str, Any]) -> str:
    """The file's text: gcloud's `json.dumps(output, indent=2)`, plus a final newline (gcloud writes none)."""
    return json.dumps(config, indent=2) + "\n"


# ---------------------------------------------------------------------------------------------- lint
_IMPERSONATION_PATH = re.compile(r"v1/projects/-/serviceAccounts/([^/:]+):generateAccessToken")


def _bad(summary: str, field: str, *, fix: Any = None, misconfig: str | None = "M33", severity: str = "fail",
         code: str = "cred-config-invalid") -> Finding:
    return Finding(code, summary, misconfig=misconfig, severity=severity, field=field,
                   fix=None if fix is None else (fix if isinstance(fix, str) else json.dumps(fix)))


def lint_credential_config(config: Any, expected: Mapping[str, Any] | None = None,
                           endpoints: GoogleEndpoints = DEFAULT_ENDPOINTS) -> list[Finding]:
    """Compare a loaded credential configuration with what gcloud would write. Never raises.

    `expected` is a config built by this module for the intended provider and service account; when
    given, every differing value is a finding with the expected value as `fix`. Without it the file is
    judged on its own against `endpoints`.
    """
    if not isinstance(config, Mapping):
        return [_bad("the credential configuration is not a JSON object", "", misconfig=None)]
    out: list[Finding] = []

    for key in config:
        if key not in KNOWN_KEYS:
            close = [k for k in KNOWN_KEYS if k.replace("_", "") == str(key).replace("_", "").lower()]
            out.append(_bad(f"unknown key {show(key)}" + (f" (did you mean {close[0]}?)" if close else ""),
                            str(key), severity="warn", misconfig=None))
    if config.get("type") != "external_account":
        out.append(_bad(f"type is {show(config.get('type'))}, not \"external_account\"", "type", fix="external_account",
                        misconfig=None))

    out.extend(_lint_audience(config.get("audience")))
    source = config.get("credential_source")
    token_type = config.get("subject_token_type")
    # google-auth picks the AWS class by environment_id; a file/executable/certificate source with one is
    # a broken identity-pool source, not an AWS one.
    is_aws = isinstance(source, Mapping) and (
        token_type == AWS_SUBJECT_TOKEN_TYPE
        or ("environment_id" in source and not any(k in source for k in ("file", "certificate", "executable"))))
    if is_aws and token_type != AWS_SUBJECT_TOKEN_TYPE:
        out.append(_bad(f"subject_token_type is {show(token_type)} for an AWS source", "subject_token_type",
                        fix=AWS_SUBJECT_TOKEN_TYPE, misconfig=None))
    elif not is_aws and token_type not in (JWT_SUBJECT_TOKEN_TYPE, ID_TOKEN_SUBJECT_TOKEN_TYPE):
        out.append(_bad(f"subject_token_type is {show(token_type)} for a token file or URL source",
                        "subject_token_type", fix=JWT_SUBJECT_TOKEN_TYPE, misconfig=None))

    token_url = config.get("token_url")
    if token_url is not None and token_url != endpoints.sts_token_url:
        out.append(_bad(f"token_url is {show(token_url)}, not Google STS's {endpoints.sts_token_url}", "token_url",
                        fix=endpoints.sts_token_url))
    universe = config.get("universe_domain", DEFAULT_UNIVERSE)
    if universe != endpoints.universe_domain:
        out.append(_bad(f"universe_domain is {show(universe)}, not {endpoints.universe_domain}", "universe_domain",
                        fix=endpoints.universe_domain, misconfig=None))
    if "workforce_pool_user_project" in config:
        # external_account.py: "workforce_pool_user_project should not be set for non-workforce pool credentials"
        out.append(_bad("workforce_pool_user_project is set; it is only for workforce pools",
                        "workforce_pool_user_project", misconfig="M34"))
    if config.get("client_secret"):
        out.append(_bad("the configuration holds a client_secret; a workload configuration needs none",
                        "client_secret", severity="warn", misconfig=None))

    out.extend(_lint_impersonation(config, endpoints))
    if not isinstance(source, Mapping):
        out.append(_bad("credential_source is missing", "credential_source", misconfig=None))
    elif is_aws:
        out.extend(_lint_aws_source(source, endpoints))
    else:
        out.extend(_lint_file_source(source))

    if expected is not None:
        for key, want in expected.items():
            got = config.get(key)
            if got != want and not any(f.field == key or (f.field or "").startswith(key + ".") for f in out):
                out.append(_bad(f"{key} is {show(got) if not isinstance(got, Mapping) else 'different'}; "
                                f"expected {show(want) if not isinstance(want, Mapping) else 'the generated value'}",
                                key, fix=want, misconfig=None))
    return out


def _lint_audience(audience: Any) -> list[Finding]:
    try:
        canonical = ids.audience(audience, "audience")
    except InputError as e:
        if "project NUMBER" in e.message:
            return [Finding("project-id-not-number", e.message, misconfig="M06", field="audience")]
        return [Finding("audience-malformed", f"{e.message}; expected {e.expected}", misconfig="M05",
                        field="audience")]
    if canonical != audience:
        return [Finding("audience-malformed", f"audience {show(audience)} is not the canonical //iam.googleapis.com/ form",
                        misconfig="M05", field="audience", fix=canonical)]
    return []


def _lint_impersonation(config: Mapping[str, Any], endpoints: GoogleEndpoints) -> list[Finding]:
    out: list[Finding] = []
    url = config.get("service_account_impersonation_url")
    if url is not None:
        base = endpoints.iamcredentials_base if endpoints.iamcredentials_base.endswith("/") else endpoints.iamcredentials_base + "/"
        m = _IMPERSONATION_PATH.fullmatch(url[len(base):]) if isinstance(url, str) and url.startswith(base) else None
        if m is None:
            out.append(_bad(f"service_account_impersonation_url {show(url)} is not "
                            f"{base}v1/projects/-/serviceAccounts/EMAIL:generateAccessToken",
                            "service_account_impersonation_url"))
        else:
            try:
                ids.service_account_email(m.group(1))
            except InputError as e:
                out.append(_bad(f"service_account_impersonation_url names {e.message}",
                                "service_account_impersonation_url", misconfig="M28"))
    impersonation = config.get("service_account_impersonation")
    if impersonation is not None:
        if url is None:
            out.append(_bad("service_account_impersonation is set without service_account_impersonation_url",
                            "service_account_impersonation", severity="warn", misconfig=None))
        lifetime = impersonation.get("token_lifetime_seconds") if isinstance(impersonation, Mapping) else impersonation
        try:
            ids.token_lifetime(lifetime)
        except InputError as e:
            out.append(_bad(f"token_lifetime_seconds {e.message}; expected {e.expected}",
                            "service_account_impersonation.token_lifetime_seconds", misconfig=None))
    return out


def _url_host(url: Any) -> tuple[str | None, str | None]:
    if not isinstance(url, str):
        return None, None
    try:
        parts = urlsplit(url)
        return parts.scheme, parts.netloc
    except ValueError:
        return None, None


def _lint_aws_source(source: Mapping[str, Any], endpoints: GoogleEndpoints) -> list[Finding]:
    out: list[Finding] = []
    env = source.get("environment_id")
    if env != "aws1":
        # aws.py: environment_id must match ^(aws)([\d]+)$ with version 1
        out.append(_bad(f"environment_id is {show(env)}; google-auth supports only aws1",
                        "credential_source.environment_id", fix="aws1", misconfig=None))
    verify = source.get("regional_cred_verification_url")
    scheme, host = _url_host(verify)
    if scheme != "https" or not host or "{region}" not in str(verify):
        # aws.py: `if not uri.hostname or uri.scheme != "https": raise InvalidResource("Invalid AWS service URL")`
        out.append(_bad(f"regional_cred_verification_url {show(verify)} must be an https URL with {{region}}",
                        "credential_source.regional_cred_verification_url", fix=AWS_VERIFICATION_URL, misconfig="M16"))
    for key, want in (("region_url", endpoints.region_url), ("url", endpoints.credentials_url)):
        got = source.get(key)
        if got is None:
            # Without it google-auth can only use AWS_REGION / AWS_ACCESS_KEY_ID from the environment.
            out.append(_bad(f"credential_source.{key} is missing", f"credential_source.{key}", fix=want,
                            severity="warn"))
        elif got != want:
            out.append(_bad(f"credential_source.{key} is {show(got)}, not the instance metadata service's {want}",
                            f"credential_source.{key}", fix=want))
    imdsv2 = source.get("imdsv2_session_token_url")
    if imdsv2 is None:
        out.append(_bad("imdsv2_session_token_url is missing: on an instance that requires IMDSv2 google-auth "
                        "fails with 'Unable to retrieve AWS role name'", "credential_source.imdsv2_session_token_url",
                        fix=endpoints.imdsv2_session_token_url, misconfig="M13", severity="warn",
                        code="cred-config-imdsv2-missing"))
    elif imdsv2 != endpoints.imdsv2_session_token_url:
        out.append(_bad(f"imdsv2_session_token_url is {show(imdsv2)}", "credential_source.imdsv2_session_token_url",
                        fix=endpoints.imdsv2_session_token_url))
    return out


def _lint_file_source(source: Mapping[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    if "environment_id" in source:
        # identity_pool.py: MalformedError("Invalid Identity Pool credential_source field 'environment_id'")
        out.append(_bad("credential_source.environment_id is not allowed in a file or URL source",
                        "credential_source.environment_id", misconfig=None))
    kinds = [k for k in ("file", "url", "certificate", "executable") if k in source]
    if len(kinds) != 1:
        out.append(_bad(f"credential_source needs exactly one of file, url, certificate, executable (has {kinds})",
                        "credential_source", misconfig=None))
    fmt = source.get("format")
    if fmt is not None:
        ftype = fmt.get("type") if isinstance(fmt, Mapping) else None
        if ftype not in ("text", "json"):
            out.append(_bad(f"credential_source.format.type is {show(ftype)}", "credential_source.format.type",
                            fix="text", misconfig=None))
        elif ftype == "json" and not fmt.get("subject_token_field_name"):
            out.append(_bad("credential_source.format needs subject_token_field_name for JSON tokens",
                            "credential_source.format.subject_token_field_name", misconfig=None))
    return out
