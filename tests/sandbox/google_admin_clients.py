"""googleapiclient clients for the sandbox's admin APIs, built as xwiz builds them (static discovery)."""

from __future__ import annotations

import json
from typing import Any, Callable

from googleapiclient.errors import HttpError

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


def admin_credentials(endpoints: dict[str, Any]):
    import google.oauth2.service_account as service_account

    return service_account.Credentials.from_service_account_file(endpoints["gcp"]["admin_credentials"],
                                                                 scopes=[CLOUD_PLATFORM])


def build(api: str, version: str, endpoints: dict[str, Any], credentials=None):
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient import discovery

    options = {"api_endpoint": endpoints["gcp"][api]}
    if not isinstance(credentials, AnonymousCredentials):  # anonymous ones have no universe to match
        options["universe_domain"] = endpoints["gcp"]["universe_domain"]

    return discovery.build(api, version, credentials=credentials or admin_credentials(endpoints),
                           static_discovery=True, cache_discovery=False, client_options=options)


_CACHE: dict[tuple[str, str, str], Any] = {}


def cached(api: str, version: str, endpoints: dict[str, Any]):
    """One admin client per API and sandbox: building parses the discovery document and loads the key,
    which costs more than most tests (the sandbox keeps its endpoints and keys across resets)."""
    key = (api, version, endpoints["gcp"][api])
    if key not in _CACHE:
        _CACHE[key] = build(api, version, endpoints)
    return _CACHE[key]


def error_body(e: HttpError) -> dict[str, Any]:
    return json.loads(e.content)["error"]


def wait(operation: dict[str, Any], get: Callable[[str], Any], *, max_polls: int = 10) -> dict[str, Any]:
    """Poll an LRO the way client code does, until `done`."""
    for _ in range(max_polls):
        if operation.get("done"):
            return operation
        operation = get(operation["name"]).execute()
    raise AssertionError(f"operation {operation['name']} never finished")
