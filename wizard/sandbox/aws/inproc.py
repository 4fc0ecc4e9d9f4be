"""boto3 clients wired straight into moto's WSGI app, for the sandbox's own seeding and setup.

No socket and no signature check: botocore's `before-send` hook hands the prepared request to
moto in-process. Clients are cached per (service, account) because building one costs ~10 ms.
"""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.test import Client as WsgiClient

from .. import identities as ids

_FAKE_ENDPOINT = "http://moto.in-process"


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, *args, **kwargs):
        yield self._body


class InProcessClients:
    def __init__(self, app) -> None:
        import boto3

        self._wsgi = WsgiClient(app)
        self._session = boto3.session.Session()
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, account: str):
        with self._lock:
            key = (service, account)
            if key not in self._clients:
                client = self._session.client(
                    service, region_name=ids.AWS_REGION, endpoint_url=_FAKE_ENDPOINT,
                    aws_access_key_id="AKIAXWIZSANDBOXSEED0", aws_secret_access_key="seed" * 10)
                client.meta.events.register("before-send", self._sender(account))
                self._clients[key] = client
            return self._clients[key]

    def _sender(self, account: str):
        from botocore.awsrequest import AWSResponse

        def send(request, **kwargs):
            url = request.url[len(_FAKE_ENDPOINT):] or "/"
            path, _, query = url.partition("?")
            headers = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()}
            headers["x-moto-account-id"] = account
            body = request.body or b""
            if isinstance(body, str):
                body = body.encode()
            response = self._wsgi.open(path, method=request.method, query_string=query, headers=headers,
                                       data=body)
            return AWSResponse(request.url, response.status_code, dict(response.headers), _Raw(response.data))

        return send
