"""A tmux pane driven from Python: what the TUI benches and measure with (a real terminal)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def require_tmux() -> None:
    if shutil.which("tmux") is None:
        sys.exit("tmux is not installed (apt-get install -y tmux)")


class Pane:
    def __init__(self, name: str, command: str, cwd: Path, width: int = 100, height: int = 32) -> None:
        self.name = name
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}
        env.pop("XWIZ_SANDBOX", None)
        for attempt in range(5):  # the tmux server may still be exiting after the previous session closed
            self.started = time.perf_counter()
            done = subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", str(width), "-y", str(height),
                                   "-c", str(cwd), command], env=env, capture_output=True, text=True)
            if done.returncode == 0:
                break
            time.sleep(0.2)
        else:
            raise RuntimeError(f"tmux new-session failed: {done.stderr.strip()}")

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True).stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *(["-l"] if literal else []), *keys], check=True)

    def wait_for(self, predicate, timeout: float = 30.0, poll: float = 0.002) -> float:
        """Seconds until predicate(screen) holds."""
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if predicate(self.screen()):
                return time.perf_counter() - start
            time.sleep(poll)
        raise TimeoutError(f"timed out; the screen shows:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)
