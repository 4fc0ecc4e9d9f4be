"""What the screens share: the Services, what was detected, where files go. No Textual here.

`Detected` is filled by the welcome screen's worker and read by the steps for their defaults.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Detected:
    """Who the user is on each cloud, and what exists there (for defaults and suggestions)."""

    aws_arn: str | None = None
    aws_account: str | None = None
    aws_error: str | None = None
    google_account: str | None = None
    google_project: str | None = None
    google_error: str | None = None
    sandbox: bool = False
    done: bool = False

    @property
    def any_cloud(self) -> bool:
        return bool(self.aws_account or self.google_account)


@dataclass(frozen=True)
class Draft:
    """The values a journey has collected so far: immutable; each step returns a new one."""

    values: tuple[tuple[str, Any], ...] = ()

    def get(self, key: str, default: Any = None) -> Any:
        for k, v in self.values:
            if k == key:
                return v
        return default

    def with_values(self, **changes: Any) -> "Draft":
        merged = dict(self.values)
        merged.update(changes)
        return replace(self, values=tuple(merged.items()))

    def as_dict(self) -> dict[str, Any]:
        return dict(self.values)


@dataclass(frozen=True)
class StepResult:
    """What a step screen dismisses with: go on with a new draft, or go back."""

    action: str  # "next" | "back"
    draft: Draft = field(default_factory=Draft)

    @property
    def back(self) -> bool:
        return self.action == "back"


_SANDBOX_PORT = re.compile(r"(https?://127\.0\.0\.1):\d+")


def shown_path(path: str | os.PathLike, base: Path | None = None) -> str:
    """A path as the user should read it: relative to the working directory when inside it.

    Keeps rendered screens free of temporary directories (snapshot tests chdir into theirs).
    """
    p = Path(path)
    if not p.is_absolute() and base is not None:
        p = base / p
    try:
        rel = p.resolve().relative_to(Path.cwd().resolve())
    except (ValueError, OSError):
        return str(p)
    return f"./{rel}" if str(rel) != "." else "."


def shown_text(text: str, base: Path | None = None) -> str:
    """Engine text for the screen: the working directory shortened to `.`, sandbox ports hidden.

    Sandbox ports are random per run; hiding them keeps screens comparable and says nothing false.
    """
    cwd = str(Path.cwd().resolve())
    if base is not None:
        resolved = str(Path(base).resolve())
        if resolved.startswith(cwd):
            text = text.replace(resolved, "." + resolved[len(cwd):])
    text = text.replace(cwd + os.sep, "./")
    return _SANDBOX_PORT.sub(r"\1:…", text)


def one_line(error: BaseException) -> str:
    """An exception as one line: xwiz's own errors are already written for people."""
    from wizard.model.errors import XwizError

    if isinstance(error, XwizError):
        return " ".join(str(error).splitlines())
    return f"{type(error).__name__}: {' '.join(str(error).splitlines())}"


class AppContext:
    """The app's shared state: mutable only from the UI thread (workers post messages instead)."""

    def __init__(self, services: Any, spec: Any, base_dir: Path) -> None:
        self.services = services
        self.spec = spec
        self.base_dir = Path(base_dir)
        self.detected = Detected()
        self.boot_note = ""

    @property
    def is_sandbox(self) -> bool:
        return self.services is not None and self.services.endpoints.is_sandbox

    @property
    def sandbox_endpoints(self) -> dict[str, Any] | None:
        return self.services.endpoints.sandbox if self.services is not None else None
