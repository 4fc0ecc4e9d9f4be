"""SDK exceptions turned into xwiz's errors, in one place.

Nothing above `wizard/cloud` catches an SDK's exception type: it catches `wizard.model.errors`.
"""

from __future__ import annotations

import json
import socket
from typing import Any

from wizard.model.errors import (
    ApiDisabledError,
    CloudError,
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    TransientError,
    UnauthenticatedError,
)

RETRYABLE_GOOGLE_STATUS = {"RESOURCE_EXHAUSTED", "UNAVAILABLE", "ABORTED", "INTERNAL", "DEADLINE_EXCEEDED"}
RETRYABLE_AWS_CODES = {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded",
                       "ServiceUnavailable", "InternalFailure", "InternalError", "RequestTimeout",
                       "ConcurrentModification", "ConcurrentModificationException"}


def _google_error_fields(body: Any) -> tuple[str, str, str | None, dict[str, Any]]:
    """(status, message, reason, metadata) from a Google JSON error envelope."""
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return "", body.strip()[:300], None, {}
    err = body.get("error", {}) if isinstance(body, dict) else {}
    if isinstance(err, str):  # OAuth shape: {"error": "invalid_grant", "error_description": "..."}
        return err, str(body.get("error_description", "")), None, {}
    reason, metadata = None, {}
    for detail in err.get("details", []) or []:
        if isinstance(detail, dict) and detail.get("@type", "").endswith("google.rpc.ErrorInfo"):
            reason, metadata = detail.get("reason"), detail.get("metadata", {}) or {}
    return str(err.get("status", "")), str(err.get("message", "")), reason, metadata


def from_google_http(status: int, body: Any, service: str) -> CloudError:
    gstatus, message, reason, metadata = _google_error_fields(body)
    kw = dict(service=service, status=status, code=gstatus or None, reason=reason, details=metadata)
    if reason == "SERVICE_DISABLED":
        return ApiDisabledError(message, api=metadata.get("service"), project=metadata.get("consumer"), **kw)
    if status == 404:
        return NotFoundError(message, **kw)
    if status == 401:
        return UnauthenticatedError(message, **kw)
    if status == 403:
        return PermissionDeniedError(message, permission=metadata.get("permission"), **kw)
    if status == 409 and gstatus == "ABORTED":
        # a stale etag is a lost race: retry the whole read-modify-write
        err = ConflictError(message, **kw)
        err.retryable = True
        return err
    if status == 409:
        return ConflictError(message, **kw)
    if status == 429 or status >= 500:
        return TransientError(message or f"HTTP {status}", **kw)
    if status == 400:
        return InvalidRequestError(message, **kw)
    return CloudError(message or f"HTTP {status}", **kw)


def from_exception(exc: BaseException, service: str) -> BaseException:
    """Map any exception raised by an SDK call; returns the exception unchanged if it is not an SDK's."""
    if isinstance(exc, CloudError):
        return exc
    name = type(exc).__name__
    module = type(exc).__module__
    if module.startswith("googleapiclient") and hasattr(exc, "resp"):
        return from_google_http(int(exc.resp.status), getattr(exc, "content", b""), service)
    if module.startswith("google.api_core"):
        code = getattr(exc, "code", None)
        status = int(code) if isinstance(code, int) else int(getattr(code, "value", [500])[0] if code else 500)
        response = getattr(exc, "response", None)
        body = getattr(response, "text", None) or getattr(response, "content", None) or {
            "error": {"message": getattr(exc, "message", str(exc)), "status": getattr(exc, "grpc_status_code", "")}}
        mapped = from_google_http(status, body, service)
        if not mapped.message:
            mapped.message = getattr(exc, "message", str(exc))
        return mapped
    if module.startswith("google.auth"):
        # RefreshError/OAuthError args are (message, raw body); keep the message, never a token
        message = str(exc.args[0]) if exc.args else name
        if name == "TransportError":
            return TransientError(message, service=service)
        return UnauthenticatedError(message, service=service, code=name)
    if module.startswith("botocore"):
        return _from_botocore(exc, service)
    if isinstance(exc, (ConnectionError, socket.timeout, TimeoutError)) or name in (
            "RemoteDisconnected", "ConnectionError", "ReadTimeout", "ConnectTimeout", "ServerNotFoundError"):
        return TransientError(f"connection to {service} failed: {name}", service=service, code=name)
    return exc


def _from_botocore(exc: BaseException, service: str) -> BaseException:
    name = type(exc).__name__
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        code = response["Error"].get("Code", "")
        message = response["Error"].get("Message", "") or code
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        kw = dict(service=service, status=status, code=code)
        if code in RETRYABLE_AWS_CODES or (status and status >= 500):
            return TransientError(message, **kw)
        if code in ("NoSuchEntity", "ResourceNotFoundException", "NoSuchEntityException",
                    "AccountNotFoundException"):
            return NotFoundError(message, **kw)
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            return PermissionDeniedError(message, **kw)
        if code in ("InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException",
                    "InvalidIdentityToken", "IncompleteSignature"):
            return UnauthenticatedError(message, **kw)
        if code in ("EntityAlreadyExists", "ResourceInUseException"):
            return ConflictError(message, **kw)
        if code in ("MalformedPolicyDocument", "ValidationError", "InvalidParameterValue", "LimitExceeded"):
            return InvalidRequestError(message, **kw)
        return CloudError(message, **kw)
    if name in ("NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError",
                "UnauthorizedSSOTokenError", "TokenRetrievalError"):
        return UnauthenticatedError(str(exc), service=service, code=name)
    if name in ("NoRegionError",):
        return InvalidRequestError("no AWS region is configured (set AWS_REGION or a profile region)",
                                   service=service, code=name)
    if name in ("EndpointConnectionError", "ConnectionClosedError", "ReadTimeoutError", "ConnectTimeoutError",
                "ProxyConnectionError"):
        return TransientError(f"connection to {service} failed: {name}", service=service, code=name)
    return exc


def is_retryable(exc: BaseException) -> bool:
    return bool(getattr(exc, "retryable", False))
