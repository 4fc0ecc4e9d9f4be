"""The emulated oauth2.googleapis.com token endpoint.

google-auth's `service_account.Credentials` with the default universe refresh here with a JWT-bearer
grant (RFC 7523); with a custom universe it self-signs JWTs instead, which auth.py accepts. Errors use
the OAuth 2.0 shape, as Google's token endpoint does (`{"error": "invalid_grant", ...}`).
"""

from __future__ import annotations

from ..errors_google import StsError
from ..http import Call, Route
from .auth import ServiceAccountPrincipal

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _token(call: Call):
    import jwt

    form = call.request.form
    if form.get("grant_type") != JWT_BEARER:
        raise StsError("unsupported_grant_type", "Invalid grant_type: " + (form.get("grant_type") or ""))
    assertion = form.get("assertion", "")
    sb = call.sandbox
    try:
        kid = jwt.get_unverified_header(assertion).get("kid", "")
    except jwt.PyJWTError:
        raise StsError("invalid_grant", "Invalid JWT Signature.")
    entry = sb.google_auth.service_account_keys.get(kid)
    if entry is None:
        raise StsError("invalid_grant", "Invalid JWT Signature.")
    email, public_key = entry
    try:
        claims = jwt.decode(assertion, public_key, algorithms=["RS256"], audience=call.sandbox.url("oauth2") + "/token",
                            options={"verify_exp": False, "verify_iat": False})
    except jwt.InvalidAudienceError:
        raise StsError("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                                        "reasonable timeframe. Check your iat and exp values in the JWT claim.")
    except jwt.PyJWTError:
        raise StsError("invalid_grant", "Invalid JWT Signature.")
    now = sb.clock.now()
    iat, exp = float(claims.get("iat", 0)), float(claims.get("exp", 0))
    # Google's text for a skewed or over-long assertion (seen widely in client issue trackers)
    if exp <= now or iat > now + 300 or exp - iat > 3600:
        raise StsError("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                                        "reasonable timeframe. Check your iat and exp values in the JWT claim.")
    if claims.get("iss") != email:
        raise StsError("invalid_grant", "Invalid JWT Signature.")
    principal = ServiceAccountPrincipal(email)
    if claims.get("target_audience"):
        token = sb.mint_google_id_token(email, claims["target_audience"], include_email=True)
        return {"id_token": token}
    scopes = str(claims.get("scope", "")).split()
    token, expires_in = sb.google_auth.issue(principal, scopes)
    return {"access_token": token, "expires_in": expires_in - 1, "token_type": "Bearer"}


def routes() -> list[Route]:
    return [Route("POST", "token", "oauth2.token", _token, auth=False)]
