"""The OIDC half of Google STS: verify an ID token (an EKS service-account token, say) for a provider.

Error strings S10–S14 (cloud-facts §3.1, §7.2): issuer must match exactly, keys come from the
issuer's discovery document (or the provider's `jwksJson`), RS256/ES256 only, ~60 s clock tolerance,
audience must be in `allowedAudiences` or, when that is empty, be the provider's own resource name.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import TYPE_CHECKING, Any

from ..errors_google import StsError

if TYPE_CHECKING:
    from ..core import Sandbox

CLOCK_TOLERANCE_S = 60
FETCH_TIMEOUT_S = 5.0
ALGORITHMS = ("RS256", "ES256")


def _issuer_unreachable() -> StsError:
    # S14 verbatim (Google's WIF troubleshooting page): discovery/JWKS unreachable, or unknown kid
    return StsError("invalid_grant", "Error connecting to the given credential's issuer.")


def _bad_signature() -> StsError:
    # S13 verbatim (cloud-facts §3.1)
    return StsError("invalid_grant", "Unable to verify the ID Token signature.")


def _fetch_json(sb: "Sandbox", url: str) -> Any:
    """GET a discovery document or JWKS the way Google would, but never beyond 127.0.0.1."""
    import requests

    local = sb.resolve_url(url)
    host = urllib.parse.urlsplit(local).hostname or ""
    if not (host == "localhost" or host.startswith("127.")):
        # The sandbox hosts every issuer it knows; anything else is as unreachable as a private IdP.
        raise _issuer_unreachable()
    try:
        response = requests.get(local, timeout=FETCH_TIMEOUT_S)
        if response.status_code != 200:
            raise _issuer_unreachable()
        return response.json()
    except (requests.RequestException, ValueError):
        raise _issuer_unreachable() from None


def _jwks(sb: "Sandbox", issuer: str, jwks_json: str | None) -> list[dict[str, Any]]:
    if jwks_json:
        try:
            keys = json.loads(jwks_json).get("keys")
        except (ValueError, AttributeError):
            keys = None
        if not isinstance(keys, list):
            raise _issuer_unreachable()
        return keys
    discovery = _fetch_json(sb, issuer.rstrip("/") + "/.well-known/openid-configuration")
    jwks_uri = discovery.get("jwks_uri") if isinstance(discovery, dict) else None
    if not isinstance(jwks_uri, str):
        raise _issuer_unreachable()
    document = _fetch_json(sb, jwks_uri)
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise _issuer_unreachable()
    return keys


def default_audiences(provider_name: str) -> set[str]:
    """With no allowedAudiences, the token's aud must be the provider's full name (disc:iam.v1 `Oidc.allowedAudiences`)."""
    return {f"//iam.googleapis.com/{provider_name}", f"https://iam.googleapis.com/{provider_name}"}


def verify(sb: "Sandbox", token: str, oidc: dict[str, Any], provider_name: str) -> tuple[dict[str, Any], int]:
    """The verified claims, and the federated token's lifetime (min(exp − now, 3600), cloud-facts §1.5).

    `provider_name` is `projects/<N>/locations/global/workloadIdentityPools/<P>/providers/<Q>`.
    """
    import jwt

    token = token.strip()  # file-sourced tokens arrive with their trailing newline (feasibility §1)
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        # synthetic: Google's text for a subject token that is not a JWT is not captured
        raise StsError("invalid_grant", "Unable to parse the ID Token.") from None

    issuer = str(claims.get("iss", ""))
    if issuer != oidc.get("issuerUri"):
        # S11 verbatim form (cloud-facts §3.1)
        raise StsError("invalid_grant", f"The issuer in ID Token {issuer} does not match the expected one in config")

    keys = _jwks(sb, issuer, oidc.get("jwksJson"))
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise _bad_signature()
    kid = header.get("kid")
    candidates = [k for k in keys if isinstance(k, dict) and (kid is None or k.get("kid") == kid)]
    if not candidates:
        raise _issuer_unreachable()  # unknown kid → S14 (cloud-facts §3.1)
    verified = False
    for jwk in candidates:
        try:
            key = jwt.PyJWK(jwk, algorithm=alg).key
            jwt.decode(token, key, algorithms=[alg],
                       options={"verify_exp": False, "verify_aud": False, "verify_iss": False,
                                "verify_iat": False, "verify_nbf": False})
            verified = True
            break
        except jwt.PyJWTError:
            continue
    if not verified:
        raise _bad_signature()

    now = sb.clock.now()
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, (int, float)) or now > exp + CLOCK_TOLERANCE_S:
        # S12 verbatim form (cloud-facts §3.1)
        raise StsError("invalid_grant", f"ID Token issued at {int(iat) if isinstance(iat, (int, float)) else iat} "
                                        f"is stale to sign-in.")

    audiences = claims.get("aud")
    token_audiences = [audiences] if isinstance(audiences, str) else list(audiences or [])
    allowed = set(oidc.get("allowedAudiences") or []) or default_audiences(provider_name)
    if not allowed.intersection(str(a) for a in token_audiences):
        shown = ", ".join(str(a) for a in token_audiences)
        # S10 verbatim form (cloud-facts §3.1)
        raise StsError("invalid_grant", f"The audience in ID Token [{shown}] does not match the expected audience.")

    lifetime = int(min(exp - now, 3600))
    return claims, max(lifetime, 1)
