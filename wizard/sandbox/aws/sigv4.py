"""Real SigV4 verification of a request as it arrived, with botocore computing the signature.

The canonical request is rebuilt from the raw request (method, raw path, query, the SignedHeaders'
values as received — Host included — and the body), so a request google-auth signed for
`https://sts.<region>.amazonaws.com?Action=GetCallerIdentity…` and replayed here verifies exactly as
it would at AWS (feasibility §1).
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import urllib.parse
from dataclasses import dataclass

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_AUTH_RX = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<cred>[^,\s]+)\s*,\s*SignedHeaders=(?P<signed>[^,\s]+)\s*,"
    r"\s*Signature=(?P<sig>[0-9a-fA-F]+)\s*$")

MAX_SKEW_S = 15 * 60
"""AWS accepts a request signed up to 15 minutes before or after its own clock."""


@dataclass(frozen=True)
class Authorization:
    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


class MalformedAuthorization(ValueError):
    pass


def parse_authorization(header: str) -> Authorization:
    m = _AUTH_RX.match(header.strip())
    if not m:
        raise MalformedAuthorization(header.split(" ", 1)[0])
    parts = m.group("cred").split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise MalformedAuthorization("credential")
    akid, date, region, service, _ = parts
    return Authorization(akid, date, region, service, tuple(m.group("signed").lower().split(";")),
                         m.group("sig").lower())


def canonical_query(raw_query: str) -> str:
    """AWS's canonical form: decode, re-encode with RFC 3986 unreserved characters, sort."""
    pairs = urllib.parse.parse_qsl(raw_query, keep_blank_values=True)
    return "&".join(f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}"
                    for k, v in sorted(pairs))


def expected_signature(auth: Authorization, secret: str, session_token: str | None, *, method: str,
                       raw_path: str, raw_query: str, headers: dict[str, str], body: bytes,
                       amz_date: str) -> str:
    """The signature AWS would compute for this request with this secret."""
    host = headers.get("host", "")
    query = canonical_query(raw_query)
    url = f"http://{host}{raw_path or '/'}" + (f"?{query}" if query else "")
    signed = {name: headers.get(name, "") for name in auth.signed_headers}
    request = AWSRequest(method=method, url=url, data=body, headers=signed)
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(auth.access_key_id, secret, session_token), auth.service, auth.region)
    # botocore takes the scope date from x-amz-date; a client whose credential-scope date differs
    # from it therefore gets a signature that does not match, as at AWS.
    canonical = signer.canonical_request(request)
    return signer.signature(signer.string_to_sign(request, canonical), request)


def signatures_match(expected: str, provided: str) -> bool:
    return hmac.compare_digest(expected, provided)


def parse_amz_date(value: str) -> float | None:
    try:
        return dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc).timestamp()
    except (TypeError, ValueError):
        return None


def skew_message(amz_date: str, now: float) -> str | None:
    """AWS's text when x-amz-date is more than 15 minutes from its clock, else None.

    Expired form verbatim from GH:aws/aws-cli#6676 ("Signature expired: 20220127T001427Z is now
    earlier than 20220127T014428Z (20220127T015928Z - 15 min.)"); the not-yet-current form is the
    same service's mirror text (from memory of real responses; not in cloud-facts).
    """
    signed_at = parse_amz_date(amz_date)
    if signed_at is None:
        return None
    fmt = "%Y%m%dT%H%M%SZ"

    def stamp(t: float) -> str:
        return dt.datetime.fromtimestamp(t, tz=dt.timezone.utc).strftime(fmt)

    if signed_at < now - MAX_SKEW_S:
        return (f"Signature expired: {amz_date} is now earlier than {stamp(now - MAX_SKEW_S)} "
                f"({stamp(now)} - 15 min.)")
    if signed_at > now + MAX_SKEW_S:
        return (f"Signature not yet current: {amz_date} is still later than {stamp(now + MAX_SKEW_S)} "
                f"({stamp(now)} + 15 min.)")
    return None
