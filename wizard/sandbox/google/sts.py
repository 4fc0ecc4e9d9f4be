"""The emulated sts.googleapis.com: `POST v1/token`, the token exchange of workload identity federation.

Checks run in the order a user meets them (cloud-facts §1.5, §3.1, §7.2): request fields, audience
form, pool/provider, then the subject token (AWS: replayed to the emulated AWS; OIDC: verified
against the issuer's keys), then attribute mapping and condition. Errors use STS's OAuth shape
(`{"error", "error_description"}`, HTTP 400), except a disabled STS API (the JSON envelope, S16).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors_google import StsError, service_disabled
from ..http import Call, Route
from . import cel, sts_aws, sts_oidc
from .auth import FederatedPrincipal

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
REQUESTED_TOKEN_TYPES = (ACCESS_TOKEN_TYPE, "urn:ietf:params:oauth:token-type:access_boundary_intermediary_token")
AWS_TOKEN_TYPE = "urn:ietf:params:aws:token-type:aws4_request"
OIDC_TOKEN_TYPES = ("urn:ietf:params:oauth:token-type:jwt", "urn:ietf:params:oauth:token-type:id_token")
AWS_FEDERATED_LIFETIME_S = 3600

_AUDIENCE = re.compile(r"^//iam\.googleapis\.com/(projects/([^/]+)/locations/global/workloadIdentityPools/"
                       r"([^/]+)/providers/([^/]+))$")
_FIELDS = {  # JSON camelCase (googleapiclient sts.v1) -> form snake_case (google-auth)
    "grantType": "grant_type", "audience": "audience", "scope": "scope",
    "requestedTokenType": "requested_token_type", "subjectToken": "subject_token",
    "subjectTokenType": "subject_token_type", "options": "options",
}


def routes() -> list[Route]:
    # lock=False: the AWS replay and OIDC discovery call out; state is read under the lock below.
    return [Route("POST", "v1/token", "sts.token", token, auth=False, lock=False)]


def _rejected_by_condition() -> StsError:
    # S1 verbatim (circleci/circleci-docs PR #8541)
    return StsError("unauthorized_client", "The given credential is rejected by the attribute condition.")


def _invalid_target() -> StsError:
    # S3 verbatim (GH:google-github-actions/auth#202): missing, disabled or deleted pool/provider, or project ID
    return StsError("invalid_target", "The target service indicated by the \"audience\" parameters is invalid. "
                                      "This might either be because the pool or provider is disabled or deleted or "
                                      "because it doesn't exist.")


def _invalid_audience() -> StsError:
    # S2 verbatim (GH:google-github-actions/auth#211)
    return StsError("invalid_request", "Invalid value for \"audience\". This value should be the full resource name "
                                       "of the Identity Provider. See https://cloud.google.com/iam/docs/reference/sts/"
                                       "rest/v1/TopLevel/token for the list of possible formats.")


def read_fields(call: Call) -> dict[str, str]:
    """Form-encoded snake_case (google-auth) or JSON camelCase (the REST docs, googleapiclient)."""
    request = call.request
    if request.mimetype == "application/json":
        body = call.json()
        return {snake: str(body[camel]) for camel, snake in _FIELDS.items() if body.get(camel) is not None}
    return {key: request.form.get(key, "") for key in request.form.keys()}


@dataclass
class ProviderView:
    """What the exchange needs from state, copied under the lock so outbound calls can run without it."""

    project_number: str
    pool_id: str
    name: str
    audience: str
    kind: str  # aws | oidc
    mapping: dict[str, str]
    condition: str
    aws: dict[str, Any] = field(default_factory=dict)
    oidc: dict[str, Any] = field(default_factory=dict)


def resolve_provider(call: Call, audience: str) -> ProviderView:
    m = _AUDIENCE.match(audience)
    if not m:
        raise _invalid_audience()
    name, project_ref, pool_id, provider_id = m.groups()
    sb = call.sandbox
    with sb.lock:
        # M06: "Workload Identity Federation does not accept Google Cloud Project IDs" — numbers only.
        project = next((p for p in sb.google.projects.values() if p.number == project_ref), None)
        if project is None:
            raise _invalid_target()
        if not project.is_enabled("sts.googleapis.com"):
            raise service_disabled("sts.googleapis.com", project.number)  # S16
        pool = project.pools.get(pool_id)
        provider = pool.providers.get(provider_id) if pool else None
        if (pool is None or provider is None or pool.disabled or provider.disabled
                or pool.state != "ACTIVE" or provider.state != "ACTIVE"):
            raise _invalid_target()
        kind = "aws" if provider.aws is not None else "oidc" if provider.oidc is not None else ""
        return ProviderView(project.number, pool_id, name, audience, kind, dict(provider.attribute_mapping),
                            provider.attribute_condition or "", dict(provider.aws or {}), dict(provider.oidc or {}))


def token(call: Call) -> tuple[dict[str, Any], int]:
    fields = read_fields(call)
    if fields.get("grant_type") != GRANT_TYPE:
        # synthetic: RFC 6749 §5.2 code; Google's description for this case is not captured
        raise StsError("unsupported_grant_type", f"Unsupported grant_type: {fields.get('grant_type', '')}.")
    if fields.get("requested_token_type") not in REQUESTED_TOKEN_TYPES:
        raise StsError("invalid_request", "Invalid value of requested_token_type in request.")  # S4
    scopes = fields.get("scope", "").split()
    if not scopes:
        raise StsError("invalid_request", "Scope(s) must be provided.")  # S5
    view = resolve_provider(call, fields.get("audience", ""))

    token_type = fields.get("subject_token_type", "")
    subject_token = fields.get("subject_token", "")
    if token_type == AWS_TOKEN_TYPE and view.kind == "aws":
        assertion, lifetime = _aws_assertion(call, view, subject_token)
    elif token_type in OIDC_TOKEN_TYPES and view.kind == "oidc":
        assertion, lifetime = sts_oidc.verify(call.sandbox, subject_token, view.oidc, view.name)
    else:
        # synthetic: the token type does not fit this provider (or is one the sandbox does not model)
        raise StsError("invalid_request", f"The subject_token_type {token_type or '(none)'} is not supported by "
                                          f"the identity provider {view.name}.")

    principal = _admit(view, assertion)
    access_token, expires_in = call.sandbox.google_auth.issue(principal, tuple(scopes), lifetime, kind="federated")
    return {"access_token": access_token, "issued_token_type": ACCESS_TOKEN_TYPE, "token_type": "Bearer",
            "expires_in": expires_in}, 200


def _aws_assertion(call: Call, view: ProviderView, subject_token: str) -> tuple[dict[str, Any], int]:
    signed = sts_aws.parse_signed_request(subject_token)
    target = signed.header("x-goog-cloud-target-resource")
    if target != view.audience:
        # synthetic text: Google documents the header as required and equal to the audience
        # (https://cloud.google.com/iam/docs/workload-identity-federation-with-other-clouds); no capture of the error
        raise StsError("invalid_request", "The x-goog-cloud-target-resource header of the AWS request must equal "
                                          "the audience.")
    caller = sts_aws.replay(call.sandbox, signed)
    expected_account = str(view.aws.get("accountId", ""))
    if caller.account != expected_account:
        # S17 [unverified]: no real capture; synthetic text. Account IDs are not secrets, so both are named.
        raise StsError("invalid_grant", f"The AWS account {caller.account} of the credential does not match the "
                                        f"account {expected_account} configured in the identity provider.")
    return caller.assertion(), AWS_FEDERATED_LIFETIME_S


def _admit(view: ProviderView, assertion: dict[str, Any]) -> FederatedPrincipal:
    """Attribute mapping, subject limits and the attribute condition (cloud-facts §2.1–2.2)."""
    mapping = view.mapping or (cel.DEFAULT_AWS_MAPPING if view.kind == "aws" else {})
    mapped = cel.apply_mapping(mapping, assertion)
    subject = mapped.get("google.subject")
    if not isinstance(subject, str) or not subject:
        # synthetic: Google's text for a mapping that yields no subject is not captured
        raise StsError("invalid_request", "The attribute mapping did not produce a value for google.subject.")
    if len(subject.encode()) > cel.MAX_SUBJECT_BYTES:
        # M26 verbatim (Google's WIF troubleshooting page; the auth action quotes a shorter variant)
        raise StsError("invalid_request", "The size of mapped attribute google.subject exceeds the 127 bytes limit. "
                                          "Either modify your attribute mapping or the incoming assertion to produce "
                                          "a mapped attribute that is less than 127 bytes.")
    if view.condition:
        try:
            verdict = cel.evaluate(view.condition, cel.mapped_variables(mapped, assertion))
        except cel.CelError:
            # [unverified] a condition that fails to evaluate (e.g. an unmapped attribute) admits no one;
            # the sandbox answers with S1's text since Google's own wording for this case is not captured.
            raise _rejected_by_condition() from None
        if verdict is not True:
            raise _rejected_by_condition()
    attributes = tuple(sorted(((key[len("attribute."):], tuple(v) if isinstance(v, list) else v)
                               for key, v in mapped.items() if key.startswith("attribute.")),
                              key=lambda item: item[0]))
    groups = mapped.get("google.groups") or ()
    groups = tuple(str(g) for g in (groups if isinstance(groups, (list, tuple)) else [groups]))
    return FederatedPrincipal(view.project_number, view.pool_id, subject, attributes=attributes, groups=groups)
