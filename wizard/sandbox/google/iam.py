"""Emulated iam.googleapis.com v1: workload identity pools/providers and service accounts."""

from __future__ import annotations

from ..http import Route
from . import iam_pools, iam_service_accounts


def routes() -> list[Route]:
    return iam_pools.routes() + iam_service_accounts.routes()
