"""The real terminal: `xwiz --sandbox` in tmux, driven with keys through AWS role → Google Cloud."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    def __init__(self, name: str, cwd: Path, width: int = 100, height: int = 32) -> None:
        self.name = name
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}
        env.pop("XWIZ_SANDBOX", None)
        command = f"{sys.executable} -m wizard.cli.main --sandbox"
        subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), "-c", str(cwd),
                        command], check=True, env=env)

    def screen(self) -> str:
        out = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True)
        return out.stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *(["-l"] if literal else []), *keys], check=True)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def test_aws_to_gcp_journey_in_a_real_terminal(tmp_path):
    term = Tmux(f"xwiz-test-{os.getpid()}", tmp_path)
    try:
        term.wait_for("account 111122223333", timeout=40)
        term.keys("1")
        term.wait_for("Project ID")
        assert "xwiz-sandbox" in term.screen()
        term.keys("C-n")
        term.wait_for("Roles allowed in")
        time.sleep(0.3)
        # The account is filled in from the detected identity, so the cursor waits in the empty roles field.
        term.keys("xwiz-ec2-app", literal=True)
        term.wait_for("Roles allowed in         xwiz-ec2-app")
        term.keys("C-n")
        screen = term.wait_for("✓ accepts this caller")
        assert "assumed-role/xwiz-ec2-app" in screen
        term.keys("C-n")
        term.wait_for("Service account")
        term.keys("C-n")
        term.wait_for("Plan:", timeout=40)
        term.keys("C-n")
        term.wait_for("Apply 5 create, 1 update")
        term.keys("y")
        screen = term.wait_for("Apply complete", timeout=60)
        term.wait_for("./credentials-aws-111122223333.json")
        assert (tmp_path / "credentials-aws-111122223333.json").exists()
        assert 'roles = ["xwiz-ec2-app"]' in (tmp_path / "xwiz.toml").read_text()
        term.keys("C-q")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and term.screen():
            time.sleep(0.2)
    finally:
        term.close()
