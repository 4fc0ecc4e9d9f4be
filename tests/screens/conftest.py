"""Screen tests: an app factory on sandbox-backed Services, and a poll helper for worker results."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest


@pytest.fixture
def services(sandbox):
    from wizard.cloud.endpoints import Endpoints
    from wizard.services import Services

    return Services(Endpoints.from_sandbox(sandbox.endpoints))


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """Where the app writes xwiz.toml and credential files; also the cwd, so screens show `./…`."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def make(services, workdir):
    from screens.app import make_app

    def build(**kwargs):
        kwargs.setdefault("base_dir", workdir)
        kwargs.setdefault("cursor_blink", False)
        app = make_app(services, kwargs.pop("spec", None), **kwargs)
        app.animation_level = "none"  # scrolling to a focused field happens at once, not over time
        return app

    return build


async def wait_for(pilot, predicate, timeout: float = 20.0, what: str = "condition") -> None:
    """Let workers run until `predicate()` holds (the journey worker never completes on its own)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; screen is {type(pilot.app.screen).__name__}")
        await pilot.pause(0.05)


def screen_text(app) -> str:
    """Everything the current screen shows, as plain text (what a user would read)."""
    from textual.widgets import Static

    parts = []
    for widget in app.screen.query(Static):
        try:
            rendered = widget.render()
        except Exception:
            continue
        parts.append(str(getattr(rendered, "plain", rendered)))
    return "\n".join(parts)


async def settle(pilot) -> None:
    await pilot.pause()
    await asyncio.sleep(0)
