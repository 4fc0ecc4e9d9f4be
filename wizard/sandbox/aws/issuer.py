"""The EKS cluster's public OIDC issuer: discovery document and JWKS.

Real EKS serves `https://oidc.eks.<region>.amazonaws.com/id/<ID>/.well-known/openid-configuration`
with `jwks_uri` `<issuer>/keys`; the sandbox maps that public URL to this listener
(`Sandbox.resolve_url`), and the documents keep the public https form, as AWS and Google see them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.wrappers import Request

from .. import identities as ids
from ..http import json_response

if TYPE_CHECKING:
    from ..core import Sandbox


def discovery_document() -> dict:
    return {
        "issuer": ids.EKS_ISSUER,
        "jwks_uri": f"{ids.EKS_ISSUER}/keys",
        "authorization_endpoint": "urn:kubernetes:programmatic_authorization",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "claims_supported": ["sub", "iss"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }


def make_app(sb: "Sandbox"):
    base = f"/id/{ids.EKS_ISSUER_ID}"

    def app(environ, start_response):
        request = Request(environ)
        if request.method != "GET":
            response = json_response({"message": "Method Not Allowed"}, 405)
        elif request.path == base + "/.well-known/openid-configuration":
            response = json_response(discovery_document())
        elif request.path == base + "/keys":
            response = json_response({"keys": [sb.keys.eks.jwk()]})
        else:
            # S3-backed on real EKS: an unknown path is an S3-style 404 (body shape synthetic)
            response = json_response({"message": "Not Found"}, 404)
        return response(environ, start_response)

    return app
