"""The emulated accounts.google.com signing keys: the JWKS that Google ID tokens verify against.

Real location: https://www.googleapis.com/oauth2/v3/certs (listed as `jwks_uri` in
https://accounts.google.com/.well-known/openid-configuration).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.wrappers import Request

from .. import identities as ids
from ..http import json_response

if TYPE_CHECKING:
    from ..core import Sandbox


def make_app(sb: "Sandbox"):
    def app(environ, start_response):
        request = Request(environ)
        if request.path == "/oauth2/v3/certs":
            response = json_response({"keys": [sb.keys.google.jwk()]})
        elif request.path == "/.well-known/openid-configuration":
            response = json_response({
                "issuer": ids.GOOGLE_ISSUER,
                "jwks_uri": sb.url("accounts") + "/oauth2/v3/certs",
                "id_token_signing_alg_values_supported": ["RS256"],
                "subject_types_supported": ["public"],
                "response_types_supported": ["code", "token", "id_token"],
                "claims_supported": ["aud", "email", "email_verified", "exp", "iat", "iss", "sub", "azp"],
            })
        else:
            response = json_response({"error": "not_found"}, 404)
        return response(environ, start_response)

    return app
