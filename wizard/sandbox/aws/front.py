"""The AWS endpoint: one listener for every service, as boto3's `endpoint_url` expects.

Every request's SigV4 signature is verified for real before moto sees it (moto checks none);
AssumeRoleWithWebIdentity, which is unsigned, goes to the sandbox's own gate (gate.py), and
sts:AssumeRole is checked against the target role's trust policy before moto mints the session.
Errors take the shape of the service named in the credential scope.
"""

from __future__ import annotations

import io
import json
import urllib.parse
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from ..errors_aws import IAM_NS, STS_NS, AwsError
from . import gate, sigv4
from .trust import PRINCIPAL_KEY, evaluate_trust

if TYPE_CHECKING:
    from ..core import Sandbox

# verbatim, cloud-facts §3.1 S6 / S7
SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature you provided. "
                      "Check your AWS Secret Access Key and signing method. Consult the service documentation "
                      "for details.")
INVALID_TOKEN = "The security token included in the request is invalid."
# verbatim, GH:pulumi/pulumi-aws#3866 ("StatusCode: 403 … api error ExpiredToken: The security token
# included in the request is expired" from GetCallerIdentity)
EXPIRED_TOKEN = "The security token included in the request is expired"


def make_app(sb: "Sandbox"):
    def app(environ, start_response):
        request = Request(environ)
        body = request.get_data(cache=True)
        service = "sts"
        try:
            params = _params(request, body)
            if params.get("Action") == "AssumeRoleWithWebIdentity":
                xml = gate.handle(sb, params)
                response = Response(xml, 200, content_type="text/xml")
            else:
                auth_header = request.headers.get("Authorization")
                if auth_header:
                    try:
                        service = sigv4.parse_authorization(auth_header).service
                    except sigv4.MalformedAuthorization:
                        pass
                account, key = authenticate(sb, request, body, params)
                if params.get("Action") == "AssumeRole" and service == "sts":
                    _check_assume_role(sb, key, params)
                if service == "ec2":
                    sb.aws.ensure_instance()
                response = _forward(sb, environ, body, account)
        except AwsError as err:
            response = render_error(err, service)
        return response(environ, start_response)

    return app


def authenticate(sb: "Sandbox", request: Request, body: bytes, params: dict[str, str]):
    """Verify the request's SigV4 signature; return (account, KeyInfo) or raise AwsError."""
    header = request.headers.get("Authorization")
    if not header:
        # AWS's text for an unsigned call to a signed API
        raise AwsError("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
    try:
        auth = sigv4.parse_authorization(header)
    except sigv4.MalformedAuthorization:
        # synthetic: AWS names the missing or malformed Authorization component
        raise AwsError("IncompleteSignature", "Authorization header is malformed.", 400)
    amz_date = request.headers.get("X-Amz-Date")
    if not amz_date:
        # AWS's text (query APIs) when neither date header is present
        raise AwsError("IncompleteSignature",
                       "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.", 400)
    with sb.lock:
        key = sb.aws.key_info(auth.access_key_id)
    if key is None or not key.active:
        raise AwsError("InvalidClientTokenId", INVALID_TOKEN, 403)
    if key.session_token is not None and request.headers.get("X-Amz-Security-Token") != key.session_token:
        raise AwsError("InvalidClientTokenId", INVALID_TOKEN, 403)
    # the session token is looked up (and found expired) before the signature is checked
    if key.expiration is not None and sb.clock.now() >= key.expiration:
        raise AwsError("ExpiredToken", EXPIRED_TOKEN, 403)
    skew = sigv4.skew_message(amz_date, sb.clock.now())
    if skew:
        raise AwsError("SignatureDoesNotMatch", skew, 403)
    raw_uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.full_path
    raw_path, _, raw_query = raw_uri.partition("?")
    headers = {k.lower(): v for k, v in request.headers.items()}
    expected = sigv4.expected_signature(auth, key.secret, key.session_token, method=request.method,
                                        raw_path=raw_path, raw_query=raw_query, headers=headers, body=body,
                                        amz_date=amz_date)
    if not sigv4.signatures_match(expected, auth.signature):
        raise AwsError("SignatureDoesNotMatch", SIGNATURE_MISMATCH, 403)
    return key.account, key


def _check_assume_role(sb: "Sandbox", key, params: dict[str, str]) -> None:
    """moto lets anyone assume any role; AWS first evaluates the role's trust policy."""
    role_arn = params.get("RoleArn", "")
    parts = role_arn.split(":")
    caller = key.arn
    # AWS's AccessDenied text for sts:AssumeRole (uswitch/kiam#33, quoted from a real response)
    denied = AwsError("AccessDenied", f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: "
                                      f"{role_arn}", 403)
    if len(parts) < 6 or not parts[5].startswith("role/"):
        raise AwsError("ValidationError", "Request ARN is invalid", 400)
    account, role_name = parts[4], parts[5].rsplit("/", 1)[-1]
    with sb.lock:
        role = sb.aws.find_role(account, role_name)
        if role is None or role.arn != role_arn:
            raise denied
        arns = [caller]
        if key.role_arn:
            arns.append(key.role_arn)
            own = sb.aws.find_role(key.role_arn.split(":")[4], key.role_arn.rsplit("/", 1)[-1])
            if own is not None:
                arns.append(own.arn)
        allowed, _ = evaluate_trust(sb.aws.trust_policy(account, role_name) or {}, "sts:AssumeRole",
                                    {PRINCIPAL_KEY: {"AWS": arns}})
    if not allowed:
        raise denied


def _forward(sb: "Sandbox", environ: dict, body: bytes, account: str) -> Response:
    """Hand the request to moto, acting in the account that owns the signing key."""
    inner = dict(environ)
    inner["wsgi.input"] = io.BytesIO(body)
    inner["CONTENT_LENGTH"] = str(len(body))
    inner["HTTP_X_MOTO_ACCOUNT_ID"] = account
    captured: dict = {}

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, headers
        return lambda data: None

    with sb.lock:
        chunks = sb.aws.app(inner, start_response)
        try:
            data = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
    status = int(captured["status"].split(" ", 1)[0])
    headers = [(k, v) for k, v in captured["headers"] if k.lower() not in ("content-length", "transfer-encoding")]
    return Response(data, status=status, headers=headers)


def _params(request: Request, body: bytes) -> dict[str, str]:
    """Query parameters plus a form-encoded body (AWS query protocol sends either)."""
    params = dict(urllib.parse.parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True))
    if body and request.mimetype == "application/x-www-form-urlencoded":
        params.update(urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def render_error(err: AwsError, service: str) -> Response:
    """The error in the protocol of the service the request was signed for."""
    if service == "ec2":
        return Response(err.ec2_xml(), err.http_status, content_type="text/xml;charset=UTF-8")
    if service in ("organizations", "eks", "ecs", "kms", "logs", "secretsmanager", "ssm", "dynamodb"):
        content_type = "application/json" if service == "eks" else "application/x-amz-json-1.1"
        return Response(json.dumps(err.json_body()), err.http_status, content_type=content_type,
                        headers={"x-amzn-ErrorType": err.code})
    namespace = {"sts": STS_NS, "iam": IAM_NS}.get(service, STS_NS)
    return Response(err.xml(namespace), err.http_status, content_type="text/xml")
