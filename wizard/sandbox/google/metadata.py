"""Placeholder: the emulated GCE metadata server."""

from __future__ import annotations

from werkzeug.wrappers import Response


def make_app(sb):
    def app(environ, start_response):
        return Response("not implemented", 404)(environ, start_response)

    return app
