"""The control endpoint: reset, named scenarios, knobs and the request log, over plain JSON HTTP."""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from .http import json_response

if TYPE_CHECKING:
    from .core import Sandbox


def make_app(sb: "Sandbox"):
    def app(environ, start_response):
        request = Request(environ)
        try:
            response = _dispatch(sb, request)
        except ValueError as e:
            response = json_response({"error": str(e)}, 400)
        return response(environ, start_response)

    return app


def _body(request: Request) -> dict:
    raw = request.get_data(as_text=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ValueError("request body must be a JSON object")
    if not isinstance(body, dict):
        raise ValueError("request body must be a JSON object")
    return body


def _dispatch(sb: "Sandbox", request: Request) -> Response:
    from .scenarios import SCENARIOS

    path, method = request.path.rstrip("/") or "/", request.method
    if path in ("/", "/health") and method == "GET":
        return json_response({"ok": True, "scenario": sb.scenario, "knobs": sb.knobs.to_dict(),
                              "scenarios": sorted(SCENARIOS)})
    if path == "/reset" and method == "POST":
        name = _body(request).get("scenario", "empty")
        sb.reset(name)
        return json_response({"ok": True, "scenario": name})
    if path.startswith("/scenario/") and method == "POST":
        name = path[len("/scenario/"):]
        sb.reset(name)
        return json_response({"ok": True, "scenario": name})
    if path == "/knobs" and method == "GET":
        return json_response(sb.knobs.to_dict())
    if path == "/knobs" and method in ("POST", "PATCH"):
        sb.set_knobs(**_body(request))
        return json_response(sb.knobs.to_dict())
    if path == "/requests" and method == "GET":
        return json_response({"requests": [r.__dict__ for r in sb.request_log.items()]})
    if path == "/requests" and method == "DELETE":
        sb.request_log.clear()
        return json_response({"ok": True})
    if path == "/shutdown" and method == "POST":
        # answer first, then stop from another thread: stopping joins this very server
        threading.Timer(0.05, sb.request_shutdown).start()
        return json_response({"ok": True})
    return json_response({"error": f"no control route {method} {path}"}, 404)
