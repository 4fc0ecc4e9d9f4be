"""JSON output: stable and versioned (`schema_version`), the same documents the TUI could save."""

from __future__ import annotations

import json
from typing import Any


def dumps(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)


def doctor_report(report: Any) -> str:
    """design.md "Doctor report (JSON)": {"schema_version": 1, "ok", "checks": [...]}."""
    return dumps(report.to_json())


def check_list(checks: Any) -> str:
    return dumps({"schema_version": 1, "checks": [
        {"id": c.id, "title": c.title, "severity": c.severity, "live": c.live, "requires": list(c.requires),
         "causes": list(c.causes)} for c in checks]})
