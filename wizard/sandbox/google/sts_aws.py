"""The AWS half of Google STS: read a serialized, signed GetCallerIdentity and replay it to AWS.

Google never sees the AWS secret. It checks the shape of the request the workload signed, sends it
to AWS unchanged, and believes AWS's answer (cloud-facts §1.5). The sandbox does the same against
its emulated AWS front, which verifies the SigV4 signature.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors_google import StsError

if TYPE_CHECKING:
    from ..core import Sandbox

GET_CALLER_IDENTITY_QUERY = "Action=GetCallerIdentity&Version=2011-06-15"
# The only forms google-auth and gcloud produce (cloud-facts §4.1, §4.3); the global
# `sts.amazonaws.com` form is treated as unsupported (cloud-facts §8).
_URL = re.compile(r"^https://(sts\.([a-z0-9-]+)\.amazonaws\.com)/?\?" + re.escape(GET_CALLER_IDENTITY_QUERY) + "$")
_AUTHORIZATION = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=(?P<akid>[^/,\s]+)/(?P<date>[0-9]{8})/(?P<region>[^/,\s]+)/(?P<service>[^/,\s]+)"
    r"/aws4_request,\s*SignedHeaders=(?P<signed>[a-z0-9;_.-]+),\s*Signature=(?P<sig>[0-9a-f]{64})$")
REPLAY_TIMEOUT_S = 10.0


def invalid_format() -> StsError:
    # S8, cloud-facts §3.1 (discuss.google.dev thread 244519): wrong host/URL form, extra or missing parts
    return StsError("invalid_request", "AWS request has invalid format.")


@dataclass(frozen=True)
class SignedRequest:
    """A serialized AWS request as google-auth puts it in the subject token."""

    url: str
    method: str
    headers: tuple[tuple[str, str], ...]
    """(name, value) in the order sent; names as the client wrote them."""
    host: str
    region: str
    access_key_id: str
    signed_headers: tuple[str, ...]

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def replay_headers(self) -> dict[str, str]:
        """Exactly what AWS needs to check the signature: Authorization plus every signed header."""
        out = {"Authorization": self.header("Authorization") or ""}
        for key, value in self.headers:
            if key.lower() in self.signed_headers:
                out[key] = value
        return out


def decode_subject_token(raw: str) -> dict:
    """The subject token is `quote(json.dumps(...))` (feasibility §1); plain JSON is accepted too."""
    text = raw.strip()
    if not text.startswith("{"):
        text = urllib.parse.unquote(text)
    if not text.strip():
        # S9, verbatim (GH:googleapis/google-api-python-client#1136)
        raise StsError("invalid_request",
                       "Invalid format of AWS credentials:Error at line 0:0: Unexpected end of stream : expected '{'")
    try:
        obj = json.loads(text)
    except ValueError:
        # S9 prefix verbatim; the parser position after it is synthetic (Google names line:column)
        raise StsError("invalid_request", "Invalid format of AWS credentials:Error at line 0:0: expected '{'") from None
    if not isinstance(obj, dict):
        raise invalid_format()
    return obj


def parse_signed_request(raw: str) -> SignedRequest:
    """Check the serialized request's shape; any deviation is S8 (cloud-facts §3.1, M16/M17)."""
    obj = decode_subject_token(raw)
    url, method, headers = obj.get("url"), obj.get("method"), obj.get("headers")
    if not isinstance(url, str) or not isinstance(method, str) or not isinstance(headers, list):
        raise invalid_format()
    if method != "POST":
        raise invalid_format()
    m = _URL.match(url)
    if not m:
        raise invalid_format()
    url_host, url_region = m.group(1), m.group(2)
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for item in headers:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str) or not isinstance(item.get("value"), str):
            raise invalid_format()
        name = item["key"]
        if name.lower() in seen:
            raise invalid_format()
        seen.add(name.lower())
        pairs.append((name, item["value"]))
    request = dict((k.lower(), v) for k, v in pairs)
    auth = _AUTHORIZATION.match(request.get("authorization", ""))
    if not auth:
        raise invalid_format()
    # M16: the Host header must name the URL's host; M17: the credential scope's region must be the URL's.
    if request.get("host") != url_host or auth.group("region") != url_region or auth.group("service") != "sts":
        raise invalid_format()
    signed = tuple(auth.group("signed").split(";"))
    if "host" not in signed or "x-amz-date" not in request:
        raise invalid_format()
    return SignedRequest(url, method, tuple(pairs), url_host, url_region, auth.group("akid"), signed)


@dataclass(frozen=True)
class CallerIdentity:
    arn: str
    account: str
    user_id: str

    def assertion(self) -> dict[str, str]:
        # `assertion.arn` and `assertion.account` are confirmed; `assertion.userid` is [unverified] (cloud-facts §2.1)
        return {"arn": self.arn, "account": self.account, "userid": self.user_id}


def replay(sb: "Sandbox", signed: SignedRequest) -> CallerIdentity:
    """POST the signed request to the emulated AWS and read its answer as Google STS does.

    Sent to `{aws}/?Action=GetCallerIdentity&Version=2011-06-15` with the signed Host header value
    (not the loopback address), so the AWS front checks the signature against what was signed.
    """
    import requests

    query = urllib.parse.urlsplit(signed.url).query
    try:
        response = requests.post(f"{sb.url('aws')}/?{query}", headers=signed.replay_headers(), data=b"",
                                 timeout=REPLAY_TIMEOUT_S)
    except requests.RequestException:
        # synthetic: Google's answer when AWS cannot be reached is not captured
        raise StsError("temporarily_unavailable", "Unable to reach AWS to verify the credential.", 503) from None
    return parse_caller_identity(response.status_code, response.text)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(root: ET.Element, name: str) -> str | None:
    for element in root.iter():
        if _local(element.tag) == name:
            return (element.text or "").strip()
    return None


def parse_caller_identity(status: int, body: str) -> CallerIdentity:
    """GetCallerIdentity XML → identity; an AWS error → S6/S7 form (cloud-facts §3.1)."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        root = None
    if root is not None and _local(root.tag) == "ErrorResponse":
        code, message = _find(root, "Code") or "Unknown", _find(root, "Message") or ""
        # S6/S7 verbatim form: GH:aws/aws-sdk-java-v2#4550, GH:googleapis/js-genai#1216
        raise StsError("invalid_grant", f"Received invalid AWS response of type {code} with error message: {message}")
    if status != 200 or root is None:
        # synthetic: an AWS answer that is neither an identity nor an error envelope
        raise StsError("invalid_grant", f"Received invalid AWS response with HTTP status {status}.")
    arn, account, user_id = _find(root, "Arn"), _find(root, "Account"), _find(root, "UserId")
    if not arn or not account:
        raise StsError("invalid_grant", "Received invalid AWS response without a caller identity.")  # synthetic
    return CallerIdentity(arn, account, user_id or "")
