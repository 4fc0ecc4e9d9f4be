"""The sandbox's notion of now, shifted by the clock-offset knob.

Every expiry, `iat` and SigV4 date check in the sandbox reads this clock, so a test can put the
emulated clouds ahead of or behind the workload's clock and see skew errors.
"""

from __future__ import annotations

import datetime as dt
import time


class Clock:
    def __init__(self, offset_s: float = 0.0) -> None:
        self.offset_s = offset_s

    def now(self) -> float:
        return time.time() + self.offset_s

    def utcnow(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.now(), tz=dt.timezone.utc)

    def rfc3339(self, at: float | None = None) -> str:
        """Google's timestamp form: `2026-11-22T10:00:00.123456Z`."""
        t = self.now() if at is None else at
        return dt.datetime.fromtimestamp(t, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def iso_aws(self, at: float | None = None) -> str:
        """AWS's timestamp form: `2026-11-22T10:00:00Z`."""
        t = self.now() if at is None else at
        return dt.datetime.fromtimestamp(t, tz=dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
