"""The IAM policy read-modify-write every writer of a policy goes through.

Google asks for the whole read-modify-write to be retried with exponential backoff when the etag
went stale (409 ABORTED, cloud-facts §1.0). Reading again is the point: retrying only the write
would send the same stale etag.
"""

from __future__ import annotations

import random
import time
from typing import Any, Callable

from wizard.model.errors import ConflictError, XwizError

ATTEMPTS = 12


class PolicyKeptChanging(XwizError):
    """Every attempt lost the race: someone else writes the same policy without pause."""


def read_modify_write(read: Callable[[], dict[str, Any]],
                      modify: Callable[[dict[str, Any]], tuple[dict[str, Any], tuple[str, ...]]],
                      write: Callable[[dict[str, Any]], Any], *, what: str = "the IAM policy",
                      attempts: int = ATTEMPTS, retry_on: tuple[type[BaseException], ...] = (),
                      sleep: Callable[[float], None] = time.sleep) -> tuple[str, ...]:
    """Returns the diff lines `modify` reported for the write that landed (empty: nothing to do).

    `retry_on` adds exception types retried like a stale etag (e.g. TransientError for callers that
    want the whole cycle again rather than only the adapter's per-call retries).
    """
    for attempt in range(attempts):
        try:
            new, added = modify(read())
            if not added:
                return ()
            write(new)
            return added
        except ConflictError as e:
            if e.code != "ABORTED":
                raise
        except retry_on:
            pass
        sleep(random.uniform(0, min(4.0, 0.1 * 2 ** attempt)))
    raise PolicyKeptChanging(f"{what} kept changing under xwiz (409 ABORTED every time); run the command again")
