"""Placeholder: routes of the emulated cloudresourcemanager.googleapis.com."""

from __future__ import annotations

from ..http import Route


def routes() -> list[Route]:
    return []
