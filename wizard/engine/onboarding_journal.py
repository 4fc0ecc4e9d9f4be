"""The onboarding journal: one JSON line per finished account, fsync'd, next to xwiz.toml.

A run killed at any moment leaves every account it finished on disk; the next run reads the
journal, re-verifies those accounts against what it read anyway (the provider list and the service
account's policy), and skips them. A half-written last line is ignored by the parser.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from wizard.model.onboarding import JournalRecord, parse_journal

JOURNAL_NAME = ".xwiz-onboard.journal"


class Journal:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._fh = None

    def load(self) -> dict[str, JournalRecord]:
        try:
            return parse_journal(self.path.read_text(encoding="utf-8", errors="replace"))
        except FileNotFoundError:
            return {}

    def write(self, records: list[JournalRecord]) -> None:
        """Append and fsync before returning: once this returns, the accounts are durably done."""
        if not records:
            return
        data = "".join(r.line() for r in records).encode()
        with self._lock:
            if self._fh is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = open(self.path, "ab")
                # a previous run killed mid-line left no newline: start on a fresh line
                if self._fh.tell() > 0 and not self._ends_with_newline():
                    self._fh.write(b"\n")
            self._fh.write(data)
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as fh:
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) == b"\n"

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None


class NullJournal(Journal):
    """No journal (`--no-journal`, or the TUI when it keeps its own state)."""

    def __init__(self) -> None:
        super().__init__(os.devnull)

    def load(self) -> dict[str, JournalRecord]:
        return {}

    def write(self, records: list[JournalRecord]) -> None:
        pass
