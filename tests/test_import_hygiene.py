"""Layering promises checked in a fresh interpreter (harlequin's sys.modules test)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_checks_and_screens_packages_are_ours():
    out = subprocess.run([sys.executable, "-c", "import checks, screens; print(checks.__file__); print(screens.__file__)"],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    for line in out.stdout.split():
        assert Path(line).resolve().is_relative_to(ROOT), line


def test_cli_entry_imports_no_sdk_and_no_textual():
    mods = _modules_after("import wizard.cli.main")
    for heavy in ("boto3", "botocore", "googleapiclient", "google.auth", "textual", "moto", "cel"):
        assert heavy not in mods, f"importing the CLI entry point pulls in {heavy}"


def test_sandbox_imports_nothing_else_from_xwiz():
    mods = _modules_after("from wizard.sandbox.core import Sandbox; import wizard.sandbox.scenarios")
    ours = {m for m in mods if m.startswith("wizard.") and not m.startswith("wizard.sandbox")}
    assert ours == set(), f"the sandbox imports {sorted(ours)}"
    # and no source file in it names another xwiz package
    for path in (ROOT / "wizard" / "sandbox").rglob("*.py"):
        text = path.read_text()
        for other in ("wizard.model", "wizard.cloud", "wizard.engine", "wizard.runtime", "checks.", "screens."):
            assert f"from {other}" not in text and f"import {other}" not in text, f"{path} imports {other}"


def test_model_and_checks_never_import_textual():
    mods = _modules_after("import wizard.model, checks")
    assert "textual" not in mods
