"""The EC2 instance metadata service (IMDSv1 and v2) of the sandbox's one instance.

Behaviour from cloud-facts §1.7: `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds`
(1–21600) returns a session token; `GET` on it is 405 with `Allow: OPTIONS, PUT`; a request carrying
an invalid or expired token is 401; with HttpTokens=required (`imdsv2_required` knob) a request with
no token is 401. The credentials are real moto session credentials for the instance role, with the
instance id as session name, as on EC2.
"""

from __future__ import annotations

import json
import secrets
import threading
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from .. import identities as ids

if TYPE_CHECKING:
    from ..core import Sandbox

TOKEN_PATH = "/latest/api/token"
MAX_TTL_S = 21600


def _error(status: int, reason: str, headers: dict[str, str] | None = None) -> Response:
    # IMDS answers errors with a small XHTML page naming the status (shape from memory of real responses)
    body = ('<?xml version="1.0" encoding="iso-8859-1"?>\n'
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n'
            '\t"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
            '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">\n'
            f' <head>\n  <title>{status} - {reason}</title>\n </head>\n'
            f' <body>\n  <h1>{status} - {reason}</h1>\n </body>\n</html>\n')
    return Response(body, status, headers=headers, content_type="text/html")


def _text(body: str) -> Response:
    return Response(body, 200, content_type="text/plain")


class Imds:
    def __init__(self, sb: "Sandbox") -> None:
        self.sb = sb
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        return self.dispatch(Request(environ))(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path == TOKEN_PATH:
            return self._token(request)
        if request.method not in ("GET", "HEAD"):
            return _error(405, "Method Not Allowed", {"Allow": "OPTIONS, GET"})
        token = request.headers.get("X-aws-ec2-metadata-token")
        if token is not None:
            if not self._valid(token):
                return _error(401, "Unauthorized")
        elif self.sb.knobs.imdsv2_required:
            return _error(401, "Unauthorized")
        return self._metadata(path)

    # -- IMDSv2 session tokens --------------------------------------------------------------
    def _token(self, request: Request) -> Response:
        if request.method != "PUT":
            # GH:googleapis/google-auth-library-ruby#421: `405 Not Allowed`, `Allow: OPTIONS, PUT`
            return _error(405, "Method Not Allowed", {"Allow": "OPTIONS, PUT"})
        if request.headers.get("X-Forwarded-For"):
            # IMDS refuses token requests that went through a proxy (EC2 user guide, "IMDSv2")
            return _error(403, "Forbidden")
        raw = request.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        try:
            ttl = int(raw) if raw is not None else 0
        except ValueError:
            ttl = 0
        if not 1 <= ttl <= MAX_TTL_S:
            return _error(400, "Bad Request")
        token = secrets.token_urlsafe(40)
        with self._lock:
            now = self.sb.clock.now()
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._tokens[token] = now + ttl
        return Response(token, 200, content_type="text/plain",
                        headers={"X-aws-ec2-metadata-token-ttl-seconds": str(ttl)})

    def _valid(self, token: str) -> bool:
        with self._lock:
            exp = self._tokens.get(token)
        return exp is not None and exp > self.sb.clock.now()

    # -- metadata ----------------------------------------------------------------------------
    def _metadata(self, path: str) -> Response:
        account = ids.AWS_ACCOUNTS["workload"]
        region = ids.AWS_REGION
        role = ids.INSTANCE_ROLE
        simple = {
            "/latest/meta-data/placement/availability-zone": ids.AVAILABILITY_ZONE,
            # botocore's IMDSRegionProvider asks with a trailing slash, which real IMDS answers
            "/latest/meta-data/placement/availability-zone/": ids.AVAILABILITY_ZONE,
            "/latest/meta-data/placement/region": region,
            "/latest/meta-data/instance-id": ids.INSTANCE_ID,
            "/latest/meta-data/instance-type": "t3.micro",
            "/latest/meta-data/ami-id": "ami-0abcdef1234567890",
            "/latest/meta-data/local-ipv4": "10.0.1.17",
            "/latest/meta-data/iam/security-credentials": role,
            "/latest/meta-data/iam/security-credentials/": role,
            "/latest/meta-data/placement/": "availability-zone\navailability-zone-id\nregion",
            "/latest/meta-data/iam/": "info\nsecurity-credentials/",
            "/latest/meta-data/": "ami-id\niam/\ninstance-id\ninstance-type\nlocal-ipv4\nplacement/",
            "/latest/meta-data/placement/availability-zone-id": "use1-az2",
        }
        if path in simple:
            return _text(simple[path])
        if path.rstrip("/") == f"/latest/meta-data/iam/security-credentials/{role}":
            return self._credentials()
        if path == "/latest/meta-data/iam/info":
            with self.sb.lock:
                arn, profile_id = self.sb.aws.instance_profile_arn, self.sb.aws.instance_profile_id
            return _text(json.dumps({"Code": "Success", "LastUpdated": self.sb.clock.iso_aws(),
                                     "InstanceProfileArn": arn, "InstanceProfileId": profile_id}, indent=2))
        if path == "/latest/dynamic/instance-identity/document":
            return _text(json.dumps({
                "accountId": account, "architecture": "x86_64", "availabilityZone": ids.AVAILABILITY_ZONE,
                "billingProducts": None, "devpayProductCodes": None, "marketplaceProductCodes": None,
                "imageId": "ami-0abcdef1234567890", "instanceId": ids.INSTANCE_ID, "instanceType": "t3.micro",
                "kernelId": None, "pendingTime": "2026-01-05T09:00:00Z", "privateIp": "10.0.1.17",
                "ramdiskId": None, "region": region, "version": "2017-09-30"}, indent=2))
        return _error(404, "Not Found")

    def _credentials(self) -> Response:
        creds = self.sb.aws.issue_instance_credentials()
        return _text(json.dumps({
            "Code": "Success",
            "LastUpdated": self.sb.clock.iso_aws(creds["issued_at"]),
            "Type": "AWS-HMAC",
            "AccessKeyId": creds["AccessKeyId"],
            "SecretAccessKey": creds["SecretAccessKey"],
            "Token": creds["Token"],
            "Expiration": self.sb.clock.iso_aws(creds["expiration"]),
        }, indent=2))


def make_app(sb: "Sandbox"):
    return Imds(sb)
