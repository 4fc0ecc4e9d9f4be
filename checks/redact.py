"""Evidence without secrets: facts about a token (length, exp, aud, sub, …), never the token.

Redaction happens where evidence is produced (`token_facts`, `AwsCredentials.redacted()`); `scrub`
is the runner's second line of defence over everything shown, with every secret a check registered.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[redacted]"
# Claims that identify, but do not authenticate: safe to show.
SHOWN_CLAIMS = ("iss", "aud", "azp", "sub", "email", "email_verified", "exp", "iat", "nbf")


def jwt_claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT, unverified (the services verify; the doctor only reads). None if not a JWT."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except (ValueError, TypeError):
        return None
    return claims if isinstance(claims, dict) else None


def token_facts(token: str, claims: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What may be shown about a token: its length, and for a JWT the identifying claims."""
    facts: dict[str, Any] = {"length": len(token)}
    claims = jwt_claims(token) if claims is None else claims
    if claims:
        for key in SHOWN_CLAIMS:
            if key in claims:
                facts[key] = claims[key]
        nested = claims.get("kubernetes.io")
        if isinstance(nested, Mapping) and isinstance(nested.get("serviceaccount"), Mapping):
            facts["kubernetes_service_account"] = nested["serviceaccount"].get("name")
    return facts


def scrub(value: Any, secrets: Iterable[str]) -> Any:
    """`value` with every occurrence of every secret replaced (recursively through dicts and lists)."""
    secrets = [s for s in secrets if s]
    if not secrets:
        return value
    if isinstance(value, str):
        for s in secrets:
            if s in value:
                value = value.replace(s, REDACTED)
        return value
    if isinstance(value, Mapping):
        return {k: scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v, secrets) for v in value]
    return value
