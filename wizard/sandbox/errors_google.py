"""Google's error shapes: the JSON envelope of every REST API, and STS's OAuth 2.0 shape.

Sources: cloud-facts §1.0 (envelope), §3.1 (STS OAuth errors), §3.2–3.3 (IAM, Service Usage).
"""

from __future__ import annotations

from typing import Any

STATUS_FOR_CODE = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class GoogleError(Exception):
    """An error any Google REST API answers with `{"error": {code, message, status, details}}`."""

    def __init__(self, code: int, message: str, status: str | None = None,
                 details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_FOR_CODE.get(code, "UNKNOWN")
        self.details = details or []

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            err["details"] = self.details
        return {"error": err}


class StsError(Exception):
    """Google STS `/v1/token` answers in the RFC 6749 shape `{"error", "error_description"}`."""

    def __init__(self, error: str, description: str, http_status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.http_status = http_status

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def error_info(reason: str, domain: str, metadata: dict[str, str] | None = None) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": domain,
            "metadata": metadata or {}}


def not_found(message: str) -> GoogleError:
    return GoogleError(404, message, "NOT_FOUND")


def invalid_argument(message: str) -> GoogleError:
    return GoogleError(400, message, "INVALID_ARGUMENT")


def already_exists(message: str = "Requested entity already exists") -> GoogleError:
    # A5: re-creating a soft-deleted pool/provider (cloud-facts §2.5)
    return GoogleError(409, message, "ALREADY_EXISTS")


def aborted_concurrent_policy_change() -> GoogleError:
    # A4, verbatim (cloud-facts §1.0)
    return GoogleError(409, "There were concurrent policy changes. Please retry the whole read-modify-write "
                            "with exponential backoff.", "ABORTED")


def unauthenticated() -> GoogleError:
    # C7 text (cloud-facts §3.2); the tail after "credential." is Google's link to its docs.
    return GoogleError(401, "Request had invalid authentication credentials. Expected OAuth 2 access token, "
                            "login cookie or other valid authentication credential. See "
                            "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                       "UNAUTHENTICATED")


def permission_denied(permission: str, resource: str = "", domain: str = "iam.googleapis.com") -> GoogleError:
    # C1 / A6 shape (cloud-facts §3.2, §3.3): "Permission '<p>' denied on resource (or it may not exist)."
    return GoogleError(
        403, f"Permission '{permission}' denied on resource (or it may not exist).", "PERMISSION_DENIED",
        [error_info("IAM_PERMISSION_DENIED", domain, {"permission": permission, **({"resource": resource} if resource else {})})],
    )


SERVICE_TITLES = {
    "iam.googleapis.com": "Identity and Access Management (IAM) API",
    "iamcredentials.googleapis.com": "IAM Service Account Credentials API",
    "sts.googleapis.com": "Security Token Service API",
    "cloudresourcemanager.googleapis.com": "Cloud Resource Manager API",
    "serviceusage.googleapis.com": "Service Usage API",
}


def service_disabled(service: str, project_number: str) -> GoogleError:
    # S16 / C6 / A8 (cloud-facts §3.1, §3.3): message text and ErrorInfo metadata as Google sends them.
    title = SERVICE_TITLES.get(service, service)
    url = f"https://console.developers.google.com/apis/api/{service}/overview?project={project_number}"
    return GoogleError(
        403,
        f"{title} has not been used in project {project_number} before or it is disabled. Enable it by "
        f"visiting {url} then retry. If you enabled this API recently, wait a few minutes for the action to "
        f"propagate to our systems and retry.",
        "PERMISSION_DENIED",
        [error_info("SERVICE_DISABLED", "googleapis.com",
                    {"service": service, "consumer": f"projects/{project_number}", "activationUrl": url})],
    )
