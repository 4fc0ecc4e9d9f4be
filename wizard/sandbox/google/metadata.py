"""The emulated GCE metadata server (metadata.google.internal), for Google Cloud → AWS workloads.

Serves what google-auth's `compute_engine` credentials read: the root ping, the default service
account's info, access tokens and ID tokens. Clients reach it through `GCE_METADATA_HOST` (paths)
and `GCE_METADATA_IP` (the ping), both `127.0.0.1:<port>` here.
"""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from .. import identities as ids

if TYPE_CHECKING:
    from ..core import Sandbox

ROOT = "/computeMetadata/v1/"
DEFAULT_SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
INSTANCE_ID = "4520031799277581759"
ZONE = "us-central1-a"
DEFAULT_SA_EMAIL = f"{ids.WORKLOAD_SA_ID}@{ids.PROJECT_ID}.iam.gserviceaccount.com"
_HEADERS = {"Metadata-Flavor": "Google", "Server": "Metadata Server for VM"}


def _text(body: str, status: int = 200, content_type: str = "application/text") -> Response:
    return Response(body, status=status, headers=_HEADERS, content_type=content_type)


def _json(body: object) -> Response:
    return Response(json.dumps(body), headers=_HEADERS, content_type="application/json")


def _forbidden(path: str, reason: str) -> Response:
    # The real server's 403 page: "Your client does not have permission to get URL <code>PATH</code> from
    # this server. Missing Metadata-Flavor:Google header." (seen in public GKE walkthroughs and emulators)
    return _text(f"<p>Your client does not have permission to get URL <code>{escape(path)}</code> from this "
                 f"server. {reason}\n", 403, "text/html; charset=UTF-8")


def _not_found() -> Response:
    return _text("Not Found\n", 404, "text/html; charset=UTF-8")


class MetadataServer:
    def __init__(self, sb: "Sandbox") -> None:
        self.sb = sb

    def __call__(self, environ, start_response):
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        path = request.path
        if path == "/":
            # google-auth's ping only checks the status and the Metadata-Flavor response header
            return _text("")
        if request.headers.get("X-Forwarded-For"):
            # "The metadata server rejects requests with an X-Forwarded-For header" (Compute Engine docs);
            # the reason text is synthetic
            return _forbidden(path, "Request had an X-Forwarded-For header.")
        if request.headers.get("Metadata-Flavor") != "Google":
            return _forbidden(path, "Missing Metadata-Flavor:Google header.")
        if request.method not in ("GET", "POST"):
            return _text("Method Not Allowed\n", 405, "text/html; charset=UTF-8")
        if not path.startswith(ROOT):
            return _not_found()
        rest = path[len(ROOT):]
        with self.sb.lock:
            return self.route(rest, request)

    # -- paths ----------------------------------------------------------------------------
    def route(self, rest: str, request: Request) -> Response:
        simple = {
            "project/project-id": ids.PROJECT_ID,
            "project/numeric-project-id": ids.PROJECT_NUMBER,
            "instance/id": INSTANCE_ID,
            "instance/zone": f"projects/{ids.PROJECT_NUMBER}/zones/{ZONE}",
            "instance/hostname": f"xwiz-vm.{ZONE}.c.{ids.PROJECT_ID}.internal",
            "universe/universe-domain": ids.UNIVERSE_DOMAIN,
        }
        if rest in simple:
            return _text(simple[rest])
        if rest == "instance/service-accounts/":
            return _text(f"default/\n{self.email()}/\n")
        if rest.startswith("instance/service-accounts/"):
            account, _, leaf = rest[len("instance/service-accounts/"):].partition("/")
            if account not in ("default", self.email()):
                return _not_found()
            return self.service_account(leaf, request)
        return _not_found()

    def email(self) -> str:
        return DEFAULT_SA_EMAIL

    def service_account(self, leaf: str, request: Request) -> Response:
        email = self.email()
        info = {"aliases": ["default"], "email": email, "scopes": list(DEFAULT_SCOPES)}
        if leaf == "":
            if request.args.get("recursive") == "true":
                return _json(info)
            return _text("aliases\nemail\nidentity\nscopes\ntoken\n")
        if leaf == "email":
            return _text(email)
        if leaf == "aliases":
            return _text("default\n")
        if leaf == "scopes":
            return _text("\n".join(DEFAULT_SCOPES) + "\n")
        if leaf == "token":
            scopes = request.args.get("scopes")
            wanted = tuple(s for s in scopes.split(",") if s) if scopes else DEFAULT_SCOPES
            token, expires_in = self.sb.google_auth.issue(_principal(email), wanted, 3599)
            return _json({"access_token": token, "expires_in": expires_in, "token_type": "Bearer"})
        if leaf == "identity":
            audience = request.args.get("audience")
            if not audience:
                # synthetic body; the real server answers 400 to an identity request without an audience
                return _text("non-empty audience parameter required\n", 400)
            full = request.args.get("format") == "full"
            return _text(self.sb.mint_google_id_token(email, audience, include_email=full))
        return _not_found()


def _principal(email: str):
    from .auth import ServiceAccountPrincipal

    return ServiceAccountPrincipal(email)


def make_app(sb: "Sandbox") -> MetadataServer:
    return MetadataServer(sb)
