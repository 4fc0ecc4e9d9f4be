"""STS AssumeRoleWithWebIdentity, answered by the sandbox itself rather than by moto.

moto accepts any token for any role (feasibility §2); AWS verifies the token against the issuer's
keys, finds the IAM OIDC provider (or the built-in Google one), evaluates the role's trust policy
with its own condition-key mapping (cloud-facts §3.5) and only then mints session credentials.
The session itself is created in moto so GetCallerIdentity with it works.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import jwt

from .. import identities as ids
from ..errors_aws import STS_NS, AwsError
from .trust import PRINCIPAL_KEY, evaluate_trust

if TYPE_CHECKING:
    from ..core import Sandbox

ACTION = "sts:AssumeRoleWithWebIdentity"
GOOGLE_PROVIDER = "accounts.google.com"
GOOGLE_ISSUERS = ("https://accounts.google.com", "accounts.google.com")

# Messages. Sources: cloud-facts §3.4 unless noted.
NOT_AUTHORIZED = "Not authorized to perform sts:AssumeRoleWithWebIdentity"
NO_KEY = ("Couldn't retrieve verification key from your identity provider,  please reference "
          "AssumeRoleWithWebIdentity documentation for requirements")  # two spaces after the comma: verbatim
WRONG_AUDIENCE = "Incorrect token audience"
# The real message for a malformed or badly signed token is not known; this is the error's
# description from the STS service model (botocore service-2.json) — synthetic as a message.
NOT_VALIDATED = "The web identity token that was passed could not be validated by Amazon Web Services."
_SESSION_NAME_RX = re.compile(r"[\w+=,.@-]*")
_ROLE_ARN_RX = re.compile(r"arn:aws:iam::([0-9]{12}):role/(?:[\w+=,.@/-]*/)?([\w+=,.@-]{1,64})")


@dataclass
class VerifiedToken:
    claims: dict[str, Any]
    provider: str
    """`accounts.google.com` or the IAM OIDC provider's ARN: the trust policy's Federated principal."""
    condition_prefix: str
    audience: str
    context: dict[str, Any] = field(default_factory=dict)


def handle(sb: "Sandbox", params: dict[str, str]):
    """The AssumeRoleWithWebIdentity response (XML) or an AwsError raised for the front to render."""
    role_arn = _required(params, "RoleArn", "roleArn")
    session_name = _required(params, "RoleSessionName", "roleSessionName")
    token = _required(params, "WebIdentityToken", "webIdentityToken").strip()
    _validate_session_name(session_name)
    duration = _duration(params.get("DurationSeconds"))
    if not 4 <= len(token) <= 20000:
        raise _validation(f"Value at 'webIdentityToken' failed to satisfy constraint: Member must have length "
                          f"{'greater than or equal to 4' if len(token) < 4 else 'less than or equal to 20000'}")
    m = _ROLE_ARN_RX.fullmatch(role_arn)
    if not m:
        # real AWS text for a malformed role ARN on the AssumeRole family
        raise AwsError("ValidationError", "Request ARN is invalid", 400)
    account, role_name = m.group(1), m.group(2)

    verified = verify_token(sb, token, account)

    with sb.lock:
        role = sb.aws.find_role(account, role_name)
        # AWS answers AccessDenied, not NoSuchEntity, for a role that does not exist (or whose ARN
        # has the wrong path): it does not reveal which roles exist (uswitch/kiam#33, cloud-facts §3.4).
        if role is None or role.arn != role_arn:
            raise AwsError("AccessDenied", NOT_AUTHORIZED, 403)
        policy = sb.aws.trust_policy(account, role_name) or {}
        allowed, _reason = evaluate_trust(policy, ACTION, verified.context)
        if not allowed:
            raise AwsError("AccessDenied", NOT_AUTHORIZED, 403)
        max_session = int(role.max_session_duration or 3600)
        if duration > max_session:
            # real AWS text (the AssumeRole family's DurationSeconds check)
            raise AwsError("ValidationError",
                           "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", 400)
        session = sb.aws.create_session(role_arn, session_name, duration, web_identity=True)
        body = _response_xml(session, verified, sb)
    return body


def verify_token(sb: "Sandbox", token: str, account: str) -> VerifiedToken:
    """Check the token as STS does; raise InvalidIdentityToken / ExpiredTokenException on failure."""
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise AwsError("InvalidIdentityToken", NOT_VALIDATED, 400)
    issuer = str(claims.get("iss", ""))
    audiences = claims.get("aud")
    audiences = [str(a) for a in audiences] if isinstance(audiences, list) else [str(audiences or "")]
    if issuer in GOOGLE_ISSUERS:
        discovery = "https://accounts.google.com/.well-known/openid-configuration"
        provider = GOOGLE_PROVIDER
        prefix = GOOGLE_PROVIDER
        audience = str(claims.get("azp") or audiences[0])
    else:
        with sb.lock:
            found = sb.aws.oidc_provider(account, issuer) if issuer.startswith("https://") else None
            client_ids = list(found.client_id_list) if found is not None else []
            provider = found.arn if found is not None else ""
        if found is None:
            # verbatim: GH:aws/aws-sdk-js-v3#5749 (cloud-facts §3.4)
            raise AwsError("InvalidIdentityToken", f"No OpenIDConnect provider found in your account for {issuer}", 400)
        matched = [a for a in audiences if a in client_ids]
        if not matched:
            raise AwsError("InvalidIdentityToken", WRONG_AUDIENCE, 400)
        discovery = issuer.rstrip("/") + "/.well-known/openid-configuration"
        prefix = issuer.removeprefix("https://").rstrip("/")
        audience = matched[0]

    key = _verification_key(sb, discovery, header.get("kid"), header.get("alg", "RS256"))
    try:
        jwt.decode(token, key, algorithms=[header.get("alg", "RS256")],
                   options={"verify_aud": False, "verify_exp": False, "verify_iat": False, "verify_nbf": False,
                            "verify_iss": False})
    except jwt.PyJWTError:
        raise AwsError("InvalidIdentityToken", NOT_VALIDATED, 400)

    now = int(sb.clock.now())
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)):
        raise AwsError("InvalidIdentityToken", NOT_VALIDATED, 400)
    if now >= exp:
        # verbatim form: GH:aws/aws-sdk-java-v2#5709 ("Token expired: current date/time 1731098245 must be
        # before the expiration date/time 1731095240"); AWS's clock tolerance is not documented: none here.
        raise AwsError("ExpiredTokenException",
                       f"Token expired: current date/time {now} must be before the expiration date/time {int(exp)}",
                       400)

    context: dict[str, Any] = {PRINCIPAL_KEY: {"Federated": provider}}
    sub = claims.get("sub")
    if provider == GOOGLE_PROVIDER:
        # cloud-facts §3.5: `:aud` is azp when the token has one (then `:oaud` is aud), else aud
        context[f"{prefix}:aud"] = audience
        if claims.get("azp"):
            context[f"{prefix}:oaud"] = audiences[0]
        if sub is not None:
            context[f"{prefix}:sub"] = str(sub)
    else:
        context[f"{prefix}:aud"] = audience
        if sub is not None:
            context[f"{prefix}:sub"] = str(sub)
        if claims.get("amr") is not None:
            context[f"{prefix}:amr"] = claims["amr"]
    return VerifiedToken(claims, provider, prefix, audience, context)


def _verification_key(sb: "Sandbox", discovery_url: str, kid: str | None, alg: str):
    """Fetch the issuer's discovery document and JWKS (through the sandbox's URL map) and pick `kid`."""
    try:
        config = _get_json(sb.resolve_url(discovery_url))
        jwks = _get_json(sb.resolve_url(str(config["jwks_uri"])))
        for jwk in jwks.get("keys", []):
            if kid is None or jwk.get("kid") == kid:
                return jwt.PyJWK(jwk, algorithm=alg if alg != "none" else None).key
    except (OSError, ValueError, KeyError, TypeError, jwt.PyJWTError):
        pass
    raise AwsError("InvalidIdentityToken", NO_KEY, 400)


def _get_json(url: str) -> dict:
    if not url.startswith("http://127.0.0.1"):
        raise OSError("the sandbox does not reach outside 127.0.0.1")
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def _required(params: dict[str, str], name: str, member: str) -> str:
    value = params.get(name)
    if value is None:
        raise _validation(f"Value null at '{member}' failed to satisfy constraint: Member must not be null")
    return value


def _validation(detail: str) -> AwsError:
    # AWS's standard validation text (Coral "1 validation error detected: …")
    return AwsError("ValidationError", f"1 validation error detected: {detail}", 400)


def _validate_session_name(name: str) -> None:
    where = f"Value '{name}' at 'roleSessionName' failed to satisfy constraint: Member must"
    if len(name) < 2:
        raise _validation(f"{where} have length greater than or equal to 2")
    if len(name) > 64:
        raise _validation(f"{where} have length less than or equal to 64")
    if not _SESSION_NAME_RX.fullmatch(name):
        raise _validation(f"{where} satisfy regular expression pattern: [\\w+=,.@-]*")


def _duration(raw: str | None) -> int:
    if raw is None or raw == "":
        return 3600
    try:
        value = int(raw)
    except ValueError:
        raise _validation(f"Value '{raw}' at 'durationSeconds' failed to satisfy constraint: Member must be a number")
    if value < 900:
        raise _validation(f"Value '{value}' at 'durationSeconds' failed to satisfy constraint: "
                          "Member must have value greater than or equal to 900")
    if value > 43200:
        raise _validation(f"Value '{value}' at 'durationSeconds' failed to satisfy constraint: "
                          "Member must have value less than or equal to 43200")
    return value


def _response_xml(session, verified: VerifiedToken, sb: "Sandbox") -> str:
    # moto keeps naive UTC datetimes
    exp = sb.clock.iso_aws(session.expiration.replace(tzinfo=dt.timezone.utc).timestamp())
    provider = verified.provider
    sub = escape(str(verified.claims.get("sub", "")))
    return (
        f'<AssumeRoleWithWebIdentityResponse xmlns="{STS_NS}">\n'
        "  <AssumeRoleWithWebIdentityResult>\n"
        f"    <SubjectFromWebIdentityToken>{sub}</SubjectFromWebIdentityToken>\n"
        f"    <Audience>{escape(verified.audience)}</Audience>\n"
        "    <AssumedRoleUser>\n"
        f"      <Arn>{escape(session.arn)}</Arn>\n"
        f"      <AssumedRoleId>{escape(session.user_id)}</AssumedRoleId>\n"
        "    </AssumedRoleUser>\n"
        "    <Credentials>\n"
        f"      <SessionToken>{escape(session.session_token)}</SessionToken>\n"
        f"      <SecretAccessKey>{escape(session.secret_access_key)}</SecretAccessKey>\n"
        f"      <Expiration>{exp}</Expiration>\n"
        f"      <AccessKeyId>{escape(session.access_key_id)}</AccessKeyId>\n"
        "    </Credentials>\n"
        f"    <Provider>{escape(provider)}</Provider>\n"
        "  </AssumeRoleWithWebIdentityResult>\n"
        f"  <ResponseMetadata>\n    <RequestId>{uuid.uuid4()}</RequestId>\n  </ResponseMetadata>\n"
        "</AssumeRoleWithWebIdentityResponse>\n"
    )
