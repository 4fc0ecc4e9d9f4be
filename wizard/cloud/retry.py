"""Retries with exponential backoff and full jitter, for the errors worth retrying.

Google asks for "exponential backoff" on 409 ABORTED and on 429/503 (cloud-facts §1.0); AWS
throttles with `Throttling`. Retry only what `is_retryable` says; everything else surfaces at once.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    attempts: int = 6
    base_s: float = 0.2
    cap_s: float = 8.0

    def delays(self, rng: random.Random | None = None):
        """Full jitter: sleep uniform(0, min(cap, base * 2**n)) (AWS Architecture Blog, 2015)."""
        r = rng or random
        for n in range(self.attempts - 1):
            yield r.uniform(0, min(self.cap_s, self.base_s * (2 ** n)))


DEFAULT = Backoff()


def call_with_retry(fn: Callable[[], T], is_retryable: Callable[[BaseException], bool],
                    backoff: Backoff = DEFAULT, sleep: Callable[[float], None] = time.sleep,
                    on_retry: Callable[[BaseException, float], None] | None = None) -> T:
    delays = backoff.delays()
    while True:
        try:
            return fn()
        except BaseException as e:  # noqa: B902 - filtered right below
            if not is_retryable(e):
                raise
            delay = next(delays, None)
            if delay is None:
                raise
            if on_retry is not None:
                on_retry(e, delay)
            sleep(delay)
