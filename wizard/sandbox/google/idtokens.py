"""Google ID tokens for service accounts, as IAM Credentials and the metadata server mint them.

Claims follow disc:iamcredentials.v1 `GenerateIdTokenResponse.token`: `sub` and `azp` are both the
service account's numeric uniqueId; `email` only when asked for (cloud-facts §1.6, §7.2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import identities as ids

if TYPE_CHECKING:
    from ..core import Sandbox

ID_TOKEN_LIFETIME_S = 3600


def mint(sb: "Sandbox", email: str, audience: str, *, include_email: bool = False,
         organization_number_included: bool = False) -> str:
    sa = sb.google.find_service_account(email)
    unique_id = sa.unique_id if sa else email
    now = int(sb.clock.now())
    claims = {
        "iss": ids.GOOGLE_ISSUER,
        "aud": audience,
        "azp": unique_id,
        "sub": unique_id,
        "iat": now,
        "exp": now + ID_TOKEN_LIFETIME_S,
    }
    if include_email:
        claims["email"] = email
        claims["email_verified"] = True
    return sb.keys.google.sign(claims)
