"""Errors every layer raises, and findings the doctor reports.

Exit codes follow the design: 1 problems found (a cloud said no), 2 usage or input error,
3 internal error (anything that is not an `XwizError`). `wizard/cloud` maps SDK exceptions to
the `CloudError` family so nothing above it needs to know an SDK's exception types.
"""

from __future__ import annotations

import json
import dataclasses
from dataclasses import dataclass
from typing import Any

_MAX_SHOWN = 80


def show(value: Any) -> str:
    """A value as it appears in a one-line message: JSON-quoted, escaped, truncated.

    JSON quoting escapes newlines and other control characters, and `ensure_ascii` escapes the
    Unicode line separators that `str.splitlines` would split on, so the message stays one line.
    """
    text = json.dumps(value if isinstance(value, (str, int, float, bool)) or value is None else repr(value),
                      ensure_ascii=True)
    if len(text) > _MAX_SHOWN:
        text = text[:_MAX_SHOWN - 4] + '..."'
    return text


class XwizError(Exception):
    """Base of xwiz's own errors. Anything else escaping to the CLI is an internal error (exit 3)."""

    exit_code = 1


class InputError(XwizError, ValueError):
    """A bad value in a flag, a spec field or a file: exit 2 with ONE line naming where and what is expected.

    `str()` looks like
    `xwiz.toml:7: aws_to_gcp[0].account_id: "12345" is not an AWS account ID; expected 12 digits, e.g. 111122223333`.
    """

    exit_code = 2

    def __init__(self, field: str | None, message: str, expected: str | None = None, *,
                 file: str | None = None, line: int | None = None, column: int | None = None) -> None:
        self.field = field
        self.message = message
        self.expected = expected
        self.file = file
        self.line = line
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        where = ""
        if self.file is not None:
            where = str(self.file)
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        text = where
        if self.field:
            text += f"{self.field}: "
        text += self.message
        if self.expected:
            text += f"; expected {self.expected}"
        # One line, always: a caller may have put a newline into a message.
        return " ".join(text.splitlines())

    def located(self, *, field: str | None = None, file: str | None = None,
                line: int | None = None, column: int | None = None) -> "InputError":
        """The same error, placed: a validator raises it bare, the spec loader adds file, line and field path."""
        return InputError(field if field is not None else self.field, self.message, self.expected,
                          file=file if file is not None else self.file,
                          line=line if line is not None else self.line,
                          column=column if column is not None else self.column)

    def __reduce__(self):  # keep pickling (and hypothesis' reporting) working with keyword-only args
        return (_rebuild_input_error, (self.field, self.message, self.expected, self.file, self.line, self.column))


def _rebuild_input_error(field, message, expected, file, line, column) -> InputError:
    return InputError(field, message, expected, file=file, line=line, column=column)


class CloudError(XwizError):
    """A cloud API refused or failed a call. `wizard/cloud` raises the subclasses below.

    `status` is the HTTP status, `code` the service's own code (`NOT_FOUND`, `AccessDenied`, …),
    `reason` the ErrorInfo reason when there is one (`IAM_PERMISSION_DENIED`, `SERVICE_DISABLED`).
    """

    exit_code = 1
    retryable = False

    def __init__(self, message: str, *, service: str | None = None, status: int | None = None,
                 code: str | None = None, reason: str | None = None,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.service = service
        self.status = status
        self.code = code
        self.reason = reason
        self.details = dict(details or {})


class NotFoundError(CloudError):
    """The resource does not exist (HTTP 404, AWS NoSuchEntity / ResourceNotFoundException)."""


class PermissionDeniedError(CloudError):
    """The caller lacks a permission (HTTP 403, AWS AccessDenied). `permission` when the service names it."""

    def __init__(self, message: str, *, permission: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.permission = permission


class UnauthenticatedError(CloudError):
    """No or invalid credentials (HTTP 401, AWS InvalidClientTokenId / ExpiredToken)."""


class ApiDisabledError(CloudError):
    """A Google API is not enabled in the project (403 SERVICE_DISABLED)."""

    def __init__(self, message: str, *, api: str | None = None, project: str | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.api = api
        self.project = project


class ConflictError(CloudError):
    """The write lost a race or the name is taken: 409 ALREADY_EXISTS (incl. soft-deleted names) or ABORTED (stale etag)."""


class InvalidRequestError(CloudError):
    """The service rejected the request's content (HTTP 400 INVALID_ARGUMENT / FAILED_PRECONDITION, AWS ValidationError)."""


class TransientError(CloudError):
    """Worth retrying: 429, 5xx, connection resets, timeouts."""

    retryable = True


@dataclass(frozen=True)
class Finding:
    """A problem found in existing configuration: reported by the doctor, never raised.

    `code` is a stable cause code (`principal-not-arn`), `misconfig` the cloud-facts catalogue entry
    (`M01`), `summary` one line, `fix` the corrected value when xwiz can compute it, `evidence`
    redacted facts (never a secret) for `--output json`.
    """

    code: str
    summary: str
    misconfig: str | None = None
    severity: str = "fail"  # "fail" | "warn"
    field: str | None = None
    fix: str | None = None
    evidence: dict[str, Any] = dataclasses.field(default_factory=dict, compare=False, hash=False)
