"""HTTP plumbing shared by every emulated service: listeners, route tables, knobs, request log.

Each emulated host (iam.googleapis.com, sts.googleapis.com, the AWS endpoint, IMDS, …) gets a
listener of its own on 127.0.0.1 and a free port, so a client pointed at the wrong host fails as it
would against the real clouds.
"""

from __future__ import annotations

import json
import random
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from .errors_google import GoogleError, StsError

if TYPE_CHECKING:
    from .core import Sandbox

Handler = Callable[["Call"], Any]


@dataclass(frozen=True)
class Route:
    """One REST method, kept as data so a test can compare the table with the discovery documents."""

    method: str
    template: str
    """Path template in the discovery document's `flatPath` form, e.g.
    `v1/projects/{projectsId}/serviceAccounts/{serviceAccountsId}:getIamPolicy`."""
    method_id: str
    """Discovery method id, e.g. `iam.projects.serviceAccounts.getIamPolicy` (or a label for non-discovery routes)."""
    handler: Handler
    api: str | None = None
    """The API (`iam.googleapis.com`) that must be enabled in the request's project; None = no check."""
    auth: bool = True
    """Whether a valid sandbox-issued bearer token is required."""
    lock: bool = True
    """Whether the handler runs under the sandbox state lock (False for handlers that call out)."""

    def regex(self) -> re.Pattern[str]:
        out, pos = "^/", 0
        for m in re.finditer(r"\{([^}]+)\}", self.template):
            out += re.escape(self.template[pos:m.start()])
            name = m.group(1).replace(".", "_")
            # a `{+name}` path parameter may hold slashes
            out += f"(?P<{name.lstrip('+')}>.+?)" if name.startswith("+") else f"(?P<{name}>[^/:]+)"
            pos = m.end()
        out += re.escape(self.template[pos:]) + "$"
        return re.compile(out)


@dataclass
class Call:
    """What a handler receives: the request, the path parameters, and the sandbox."""

    sandbox: "Sandbox"
    request: Request
    params: dict[str, str]
    route: Route
    principal: Any = None

    def json(self) -> dict[str, Any]:
        if not self.request.get_data():
            return {}
        try:
            body = json.loads(self.request.get_data(as_text=True))
        except ValueError:
            raise GoogleError(400, "Invalid JSON payload received. Unexpected token.", "INVALID_ARGUMENT")
        if not isinstance(body, dict):
            raise GoogleError(400, "Invalid JSON payload received. Expected an object.", "INVALID_ARGUMENT")
        return body

    def query(self, name: str, default: str | None = None) -> str | None:
        return self.request.args.get(name, default)


@dataclass
class LoggedRequest:
    """A line of the request log: never a body, header value or token."""

    listener: str
    method: str
    path: str
    status: int
    at: float


class RequestLog:
    def __init__(self, limit: int = 20000) -> None:
        self._items: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._limit = limit

    def add(self, item: LoggedRequest) -> None:
        with self._lock:
            self._items.append(item)
            if len(self._items) > self._limit:
                del self._items[: len(self._items) - self._limit]

    def items(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, indent=2) + "\n", status=status, headers=headers,
                    content_type="application/json; charset=UTF-8")


class GoogleApp:
    """WSGI app for one Google API host: route table, token check, API-enabled check, error envelopes."""

    def __init__(self, sandbox: "Sandbox", routes: list[Route], host: str) -> None:
        self.sandbox = sandbox
        self.host = host
        self.routes = [(r, r.regex()) for r in routes]

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except GoogleError as e:
            response = json_response(e.body(), e.code)
        except StsError as e:
            response = json_response(e.body(), e.http_status)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        matched_path = False
        for route, rx in self.routes:
            m = rx.match(path)
            if not m:
                continue
            matched_path = True
            if route.method != request.method:
                continue
            call = Call(self.sandbox, request, {k: v for k, v in m.groupdict().items()}, route)
            if route.auth:
                call.principal = self.sandbox.google_auth.principal_for_request(request)
            if route.lock:
                with self.sandbox.lock:
                    return self._run(route, call)
            return self._run(route, call)
        if matched_path:
            raise GoogleError(405, f"Method {request.method} not allowed on {path}", "INVALID_ARGUMENT")
        raise GoogleError(404, f"The requested URL {path} was not found on this server.", "NOT_FOUND")

    def _run(self, route: Route, call: Call) -> Response:
        if route.api is not None:
            project_ref = call.params.get("projectsId")
            if project_ref and project_ref != "-":
                self.sandbox.google.require_enabled(route.api, project_ref)
        out = route.handler(call)
        if isinstance(out, Response):
            return out
        if isinstance(out, tuple):
            body, status = out
            return json_response(body, status)
        return json_response(out if out is not None else {})


class KnobsMiddleware:
    """Applies latency and fault injection in front of a listener's app, and logs every request."""

    def __init__(self, sandbox: "Sandbox", name: str, app, faults: bool, fault_kind: str = "google") -> None:
        self.sandbox = sandbox
        self.name = name
        self.app = app
        self.faults = faults
        self.fault_kind = fault_kind

    def __call__(self, environ, start_response):
        knobs = self.sandbox.knobs
        status_holder: list[int] = [0]

        def recording_start_response(status, headers, exc_info=None):
            status_holder[0] = int(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)

        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "")
        try:
            if knobs.latency_ms > 0:
                time.sleep(knobs.latency_ms / 1000.0)
            if self.faults and knobs.fault_rate > 0 and self.sandbox.fault_rng.random() < knobs.fault_rate:
                kind = self.sandbox.fault_rng.choice(("429", "503", "reset"))
                if kind == "reset":
                    status_holder[0] = -1
                    _reset_connection(environ)
                    # werkzeug treats ConnectionError as a dropped client and writes nothing more
                    raise ConnectionResetError("sandbox fault injection: connection reset")
                return self._fault(int(kind))(environ, recording_start_response)
            return self.app(environ, recording_start_response)
        finally:
            self.sandbox.request_log.add(LoggedRequest(self.name, method, path, status_holder[0], time.time()))

    def _fault(self, status: int) -> Response:
        if self.fault_kind == "aws":
            from .errors_aws import AwsError

            # AWS query APIs throttle with HTTP 400 `Throttling` / "Rate exceeded"; 503 is ServiceUnavailable.
            err = (AwsError("Throttling", "Rate exceeded", 400) if status == 429
                   else AwsError("ServiceUnavailable", "Service is unable to handle request.", 503, sender=False))
            return Response(err.xml(), status=err.http_status, content_type="text/xml")
        if status == 429:
            # synthetic text: Google's quota messages name the quota metric, which has no sandbox equivalent
            err = GoogleError(429, "Quota exceeded (sandbox fault injection).", "RESOURCE_EXHAUSTED")
        else:
            err = GoogleError(503, "The service is currently unavailable.", "UNAVAILABLE")
        return json_response(err.body(), err.code)


def _reset_connection(environ) -> None:
    """Close the client's socket with RST, as a load balancer dropping the connection would."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        return
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # shutdown ends werkzeug's keep-alive loop too; the final close then sends RST (linger 0)
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # the request log records what matters, with no secrets
        pass

    def log_error(self, *args, **kwargs) -> None:
        pass

    def date_time_string(self, timestamp=None) -> str:
        # The Date header follows the emulated clouds' clock (the clock_offset_s knob), as a real
        # service's does: a client whose clock is off sees the skew there (cloud-facts M19).
        if timestamp is None:
            sandbox = getattr(getattr(self.server, "app", None), "sandbox", None)
            if sandbox is not None:
                timestamp = sandbox.clock.now()
        return super().date_time_string(timestamp)

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionError, OSError):
            pass


@dataclass
class Listener:
    """A WSGI app served on 127.0.0.1 and a free port, in a daemon thread."""

    name: str
    app: Any
    server: Any = None
    thread: threading.Thread | None = None
    port: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def start(self) -> None:
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=_QuietHandler)
        self.server.daemon_threads = True
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"sandbox-{self.name}", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def new_fault_rng(seed: int | None) -> random.Random:
    return random.Random(seed)
