"""The Sandbox: wires every emulated service to its own listener and holds their shared state."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from . import identities as ids
from .clock import Clock
from .http import GoogleApp, KnobsMiddleware, Listener, RequestLog, new_fault_rng
from .knobs import Knobs

# Google API hosts, each on a listener of its own (name -> module with `routes()`).
GOOGLE_APIS = ("iam", "sts", "iamcredentials", "serviceusage", "cloudresourcemanager", "oauth2")


class Sandbox:
    """Emulated Google Cloud and AWS on 127.0.0.1.

    >>> sb = Sandbox.start()
    >>> sb.endpoints["gcp"]["iam"]            # 'http://127.0.0.1:PORT/'
    >>> sb.stop()
    """

    def __init__(self, knobs: Knobs | None = None, directory: str | os.PathLike | None = None) -> None:
        self.knobs = knobs or Knobs()
        self.clock = Clock(self.knobs.clock_offset_s)
        self.lock = threading.RLock()
        self.request_log = RequestLog()
        self.fault_rng = new_fault_rng(self.knobs.seed)
        self.listeners: dict[str, Listener] = {}
        self._own_dir = directory is None
        self.directory = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="xwiz-sandbox-"))
        self.directory.mkdir(parents=True, exist_ok=True)
        self.scenario = "empty"
        self.started = False
        self.shutdown_requested = threading.Event()

        from .google.auth import GoogleAuth
        from .google.state import GoogleState
        from .keys import SandboxKeys

        self.keys = SandboxKeys.generate()
        self.google = GoogleState()
        self.google_auth = GoogleAuth(self)
        self.aws: Any = None  # aws.world.AwsWorld, set in start()

    # -- lifecycle ---------------------------------------------------------------------------
    @classmethod
    def start(cls, knobs: Knobs | None = None, directory: str | os.PathLike | None = None,
              scenario: str = "empty") -> "Sandbox":
        sb = cls(knobs, directory)
        sb._start(scenario)
        return sb

    def _start(self, scenario: str) -> None:
        import importlib

        from .aws.world import AwsWorld

        self.aws = AwsWorld(self)
        for name in GOOGLE_APIS:
            module = importlib.import_module(f".google.{name}", __package__)
            app = GoogleApp(self, module.routes(), host=f"{name}.googleapis.com")
            self._add_listener(name, app, faults=name != "oauth2")
        from .google import metadata, accounts
        from .aws import front, imds, issuer
        from . import control

        self._add_listener("metadata", metadata.make_app(self), faults=False)
        self._add_listener("accounts", accounts.make_app(self), faults=False)
        self._add_listener("aws", front.make_app(self), faults=True, fault_kind="aws")
        self._add_listener("imds", imds.make_app(self), faults=False)
        self._add_listener("eks_issuer", issuer.make_app(self), faults=False)
        self.listeners["control"] = Listener("control", control.make_app(self))
        for listener in self.listeners.values():
            listener.start()
        self.started = True
        self.reset(scenario)

    def _add_listener(self, name: str, app: Any, *, faults: bool, fault_kind: str = "google") -> None:
        self.listeners[name] = Listener(name, KnobsMiddleware(self, name, app, faults, fault_kind))

    def stop(self) -> None:
        # each serve_forever notices a shutdown within its 0.5 s poll: stop them side by side, not
        # one after the other (a dozen listeners took seconds)
        listeners = list(self.listeners.values())
        if listeners:
            with ThreadPoolExecutor(max_workers=len(listeners), thread_name_prefix="sandbox-stop") as pool:
                list(pool.map(lambda listener: listener.stop(), listeners))
        self.listeners.clear()
        if self.aws is not None:
            self.aws.close()
        self.started = False

    def request_shutdown(self) -> None:
        """Ask a foreground `serve` loop to stop (the control endpoint's /shutdown)."""
        self.shutdown_requested.set()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- state ----------------------------------------------------------------------------
    def reset(self, scenario: str = "empty") -> None:
        """Wipe every cloud's state and seed a named scenario (see scenarios.py)."""
        from . import scenarios

        with self.lock:
            self.request_log.clear()
            self.google_auth.clear()
            scenarios.apply(self, scenario)
            self.scenario = scenario
        self.write_endpoints()

    def set_knobs(self, **values: Any) -> None:
        with self.lock:
            self.knobs.update(values)
            self.clock.offset_s = self.knobs.clock_offset_s
            if "seed" in values:
                self.fault_rng = new_fault_rng(self.knobs.seed)

    def mint_google_id_token(self, email: str, audience: str, *, include_email: bool = False) -> str:
        from .google import idtokens

        return idtokens.mint(self, email, audience, include_email=include_email)

    def resolve_url(self, url: str) -> str:
        """Where the sandbox itself fetches a public URL it emulates (an issuer's discovery or JWKS).

        Issuers keep their real https form (`https://oidc.eks.<region>.amazonaws.com/id/<ID>`,
        `https://accounts.google.com`), so providers and trust policies look as they would on the real
        clouds; the sandbox's own fetcher maps them to the loopback listener that serves them. A URL
        it does not host is returned unchanged and fails to connect, as an unknown issuer would.
        """
        mapping = {
            ids.EKS_ISSUER: self.url("eks_issuer") + f"/id/{ids.EKS_ISSUER_ID}",
            ids.GOOGLE_ISSUER: self.url("accounts"),
            "https://www.googleapis.com/oauth2/v3/certs": self.url("accounts") + "/oauth2/v3/certs",
        }
        for public, local in mapping.items():
            if url == public or url.startswith(public + "/"):
                return local + url[len(public):]
        return url

    def url(self, name: str) -> str:
        return self.listeners[name].url

    # -- the contract: endpoints.json ---------------------------------------------------
    @property
    def admin_credentials_path(self) -> Path:
        return self.directory / "admin-credentials.json"

    @property
    def endpoints_path(self) -> Path:
        return self.directory / "endpoints.json"

    @property
    def endpoints(self) -> dict[str, Any]:
        aws = self.aws
        return {
            "schema_version": 1,
            "gcp": {
                "project_id": ids.PROJECT_ID,
                "project_number": ids.PROJECT_NUMBER,
                "iam": self.url("iam") + "/",
                "sts": self.url("sts") + "/",
                "iamcredentials": self.url("iamcredentials") + "/",
                "serviceusage": self.url("serviceusage") + "/",
                "cloudresourcemanager": self.url("cloudresourcemanager") + "/",
                "token_uri": self.url("oauth2") + "/token",
                "sts_token_url": self.url("sts") + "/v1/token",
                "universe_domain": ids.UNIVERSE_DOMAIN,
                "admin_credentials": str(self.admin_credentials_path),
                "admin_service_account": f"{ids.ADMIN_SA_ID}@{ids.PROJECT_ID}.iam.gserviceaccount.com",
                "metadata_host": f"127.0.0.1:{self.listeners['metadata'].port}",
                "workload_service_account": f"{ids.WORKLOAD_SA_ID}@{ids.PROJECT_ID}.iam.gserviceaccount.com",
                "google_issuer": ids.GOOGLE_ISSUER,
                "google_jwks_url": self.url("accounts") + "/oauth2/v3/certs",
            },
            "aws": {
                "endpoint_url": self.url("aws"),
                "region": ids.AWS_REGION,
                "accounts": dict(ids.AWS_ACCOUNTS),
                "admin": {"access_key_id": ids.AWS_ADMIN_ACCESS_KEY_ID,
                          "secret_access_key": ids.AWS_ADMIN_SECRET_ACCESS_KEY},
                "imds_url": self.url("imds"),
                "instance_role": ids.INSTANCE_ROLE,
                "instance_id": ids.INSTANCE_ID,
                "eks": {
                    "cluster": ids.EKS_CLUSTER,
                    "region": ids.AWS_REGION,
                    "issuer": ids.EKS_ISSUER,
                    "issuer_local_url": self.url("eks_issuer") + f"/id/{ids.EKS_ISSUER_ID}",
                    "token_file": str(self.directory / "eks" / "token"),
                    "kubernetes_service_account": f"system:serviceaccount:{ids.KUBERNETES_NAMESPACE}:"
                                                  f"{ids.KUBERNETES_SERVICE_ACCOUNT}",
                },
            },
            "control_url": self.url("control"),
        }

    def write_endpoints(self) -> None:
        self.keys.write_admin_credentials(self.admin_credentials_path, self.endpoints_shallow_token_uri())
        tmp = self.endpoints_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.endpoints, indent=2) + "\n")
        os.replace(tmp, self.endpoints_path)

    def endpoints_shallow_token_uri(self) -> str:
        return self.url("oauth2") + "/token"
