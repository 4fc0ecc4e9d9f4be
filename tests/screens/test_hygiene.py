"""Layering promises of the TUI: no SDK in any screen module; TCSS uses theme variables only."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "screens"


def test_screens_import_no_sdk():
    modules = sorted(".".join(p.relative_to(ROOT).with_suffix("").parts) for p in SCREENS.rglob("*.py"))
    probe = "import importlib, sys, json\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules) + \
            "print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    for sdk in ("boto3", "botocore", "googleapiclient", "google.auth", "google.cloud", "moto"):
        assert sdk not in loaded, f"a screen module imports {sdk}"
    for path in SCREENS.rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(import|from)\s+(boto3|botocore|googleapiclient|google\.)", text, re.M), path


def test_tcss_uses_theme_variables_only():
    colour = re.compile(r"#[0-9a-fA-F]{3,8}\b|\brgba?\(|\bhsl\(|:\s*(red|green|blue|white|black|yellow|grey|gray)\b")
    sheets = [SCREENS / "app.tcss"]
    sheets += [p for p in SCREENS.rglob("*.py") if "DEFAULT_CSS" in p.read_text()]
    for path in sheets:
        text = path.read_text()
        if path.suffix == ".py":
            text = "\n".join(re.findall(r'DEFAULT_CSS = """(.*?)"""', text, re.S))
        assert not colour.search(text), f"{path} has a literal colour: {colour.search(text).group(0)}"


def test_xwiz_help_does_not_import_textual():
    out = subprocess.run([sys.executable, "-c", "import sys; from wizard.cli.main import main; "
                          "sys.argv=['xwiz','--help']\ntry:\n main(['--help'])\nexcept SystemExit: pass\n"
                          "print('textual' in sys.modules)"], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip().splitlines()[-1] == "False"
