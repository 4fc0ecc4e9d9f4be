"""After apply: run the real exchange when workload credentials are at hand (placeholder: skips)."""

from __future__ import annotations


def verify_after_apply(services, planner, on_progress=None) -> list[str]:
    return ["Verification: run `xwiz doctor` on the workload to check the exchange end to end."]
