"""`pageSize` / `pageToken` paging as Google's list methods do it (opaque tokens, capped sizes)."""

from __future__ import annotations

import base64
from typing import Any, TypeVar

from ..errors_google import invalid_argument

T = TypeVar("T")


def page(items: list[T], size: Any, token: Any, *, default: int, maximum: int) -> tuple[list[T], str | None]:
    """One page of `items` and the token of the next page (None on the last page)."""
    try:
        limit = int(size) if size not in (None, "") else default
    except ValueError:
        raise invalid_argument(f"Invalid value for pageSize: {size}")  # synthetic text
    if limit <= 0:
        limit = default
    limit = min(limit, maximum)
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(str(token).encode()).decode().removeprefix("xwiz:"))
        except (ValueError, UnicodeDecodeError):
            raise invalid_argument("The page token is invalid.")  # synthetic text
    end = start + limit
    next_token = base64.urlsafe_b64encode(f"xwiz:{end}".encode()).decode() if end < len(items) else None
    return items[start:end], next_token
