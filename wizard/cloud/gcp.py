"""Google Cloud adapter: Service Usage, Resource Manager, IAM (pools, providers, service accounts),
IAM Credentials. The only module that imports googleapiclient / google.auth / google.cloud.

Admin APIs go through googleapiclient with the discovery documents shipped in the package
(static discovery, no network fetch); IAM Credentials through google-cloud-iam over REST.
Every call is retried on transient errors and raises `wizard.model.errors` types.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any, Callable

from wizard.model.errors import CloudError, NotFoundError, TransientError

from . import errors
from .endpoints import GoogleEndpoints
from .retry import DEFAULT, Backoff, call_with_retry

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
HTTP_TIMEOUT_S = 60


_ADMIN_CREDENTIALS: dict[tuple[str, int, int], Any] = {}
_ADMIN_CREDENTIALS_LOCK = threading.Lock()


def _sandbox_admin_credentials(path: str) -> Any:
    """The sandbox admin's key file, parsed once per process and file version.

    Loading its RSA private key costs ~40 ms (cryptography checks the key) — more than most sandbox
    calls, and every Services bundle used to pay it. The credentials are then shared by adapters the
    way one adapter's threads already share them; they only sign self-signed JWTs.
    """
    import google.auth

    stat = os.stat(path)
    key = (os.path.abspath(path), stat.st_mtime_ns, stat.st_size)
    with _ADMIN_CREDENTIALS_LOCK:
        creds = _ADMIN_CREDENTIALS.get(key)
        if creds is None:
            creds, _ = google.auth.load_credentials_from_file(path, scopes=[CLOUD_PLATFORM])
            _ADMIN_CREDENTIALS[key] = creds
        return creds


class GcpAdapter:
    def __init__(self, endpoints: GoogleEndpoints, credentials: Any = None, backoff: Backoff = DEFAULT,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.endpoints = endpoints
        self._credentials = credentials
        self._backoff = backoff
        self._sleep = sleep
        self._local = threading.local()  # httplib2 is not thread-safe: one client set per thread
        self._lock = threading.Lock()

    # -- plumbing --------------------------------------------------------------------------
    @property
    def credentials(self) -> Any:
        with self._lock:
            if self._credentials is None:
                self._credentials = self._load_credentials()
            return self._credentials

    def _load_credentials(self) -> Any:
        import google.auth
        from google.auth import exceptions

        try:
            if self.endpoints.admin_credentials:
                creds = _sandbox_admin_credentials(self.endpoints.admin_credentials)
            else:
                creds, _ = google.auth.default(scopes=[CLOUD_PLATFORM])
        except exceptions.DefaultCredentialsError as e:
            raise errors.UnauthenticatedError(
                f"no Google credentials: {e}. Run `gcloud auth application-default login`, or set "
                "GOOGLE_APPLICATION_CREDENTIALS", service="google") from None
        return creds

    def _client(self, api: str, version: str = "v1") -> Any:
        clients = getattr(self._local, "clients", None)
        if clients is None:
            clients = self._local.clients = {}
        key = (api, version)
        if key not in clients:
            import google_auth_httplib2
            import httplib2
            from googleapiclient import discovery

            base = getattr(self.endpoints, api)
            http = google_auth_httplib2.AuthorizedHttp(self.credentials, http=httplib2.Http(timeout=HTTP_TIMEOUT_S))
            clients[key] = discovery.build(
                api, version, http=http, static_discovery=True, cache_discovery=False,
                client_options={"api_endpoint": base, "universe_domain": self.endpoints.universe_domain})
        return clients[key]

    def _call(self, service: str, make_request: Callable[[Any], Any]) -> Any:
        def once():
            try:
                return make_request(self._client(service)).execute(num_retries=0)
            except Exception as e:  # mapped right here, the one place SDK errors are known
                raise errors.from_exception(e, service) from None

        return call_with_retry(once, errors.is_retryable, self._backoff, self._sleep)

    def wait_operation(self, service: str, operation: dict[str, Any], get: Callable[[Any, str], Any],
                       timeout_s: float = 300) -> dict[str, Any]:
        """Poll a long-running operation until done; its error becomes a CloudError."""
        deadline = time.monotonic() + timeout_s
        delay = 0.0  # poll at once: IAM's pool/provider operations are usually done by the first get
        op = operation
        while not op.get("done"):
            if time.monotonic() > deadline:
                raise TransientError(f"operation {op.get('name')} did not finish in {timeout_s:.0f} s",
                                     service=service)
            if delay:
                self._sleep(delay)
            delay = min(delay * 2, 2.0) if delay else 0.1
            op = self._call(service, lambda c, name=op["name"]: get(c, name))
        if op.get("error"):
            err = op["error"]
            raise CloudError(err.get("message", "operation failed"), service=service, code=str(err.get("code")))
        return op

    # -- Resource Manager ---------------------------------------------------------------------
    def get_project(self, project: str) -> dict[str, Any]:
        return self._call("cloudresourcemanager", lambda c: c.projects().get(projectId=project))

    def get_project_policy(self, project: str) -> dict[str, Any]:
        return self._call("cloudresourcemanager", lambda c: c.projects().getIamPolicy(
            resource=project, body={"options": {"requestedPolicyVersion": 3}}))

    def set_project_policy(self, project: str, policy: dict[str, Any], update_mask: str = "bindings,etag") -> dict:
        return self._call("cloudresourcemanager", lambda c: c.projects().setIamPolicy(
            resource=project, body={"policy": policy, "updateMask": update_mask}))

    # -- Service Usage ------------------------------------------------------------------------
    def service_states(self, project: str, services: list[str]) -> tuple[str, dict[str, str]]:
        """(project number, {service: ENABLED|DISABLED}) for up to 30 services.

        Service Usage names services by project number (`projects/123/services/x`), so this one call
        also resolves the number while Resource Manager may still be disabled.
        """
        names = [f"projects/{project}/services/{s}" for s in services]
        out = self._call("serviceusage", lambda c: c.services().batchGet(parent=f"projects/{project}", names=names))
        states, number = {}, ""
        for s in out.get("services", []):
            parts = s["name"].split("/")
            number = parts[1] if len(parts) > 1 else number
            states[parts[-1]] = s.get("state", "STATE_UNSPECIFIED")
        return number, states

    def batch_enable_services(self, project: str, services: list[str]) -> dict[str, Any]:
        op = self._call("serviceusage", lambda c: c.services().batchEnable(
            parent=f"projects/{project}", body={"serviceIds": list(services)}))
        return self.wait_operation("serviceusage", op, lambda c, name: c.operations().get(name=name))

    # -- IAM: workload identity pools -----------------------------------------------------------
    @staticmethod
    def _pools(c):
        return c.projects().locations().workloadIdentityPools()

    def get_pool(self, project: str, pool: str) -> dict[str, Any] | None:
        try:
            return self._call("iam", lambda c: self._pools(c).get(
                name=f"projects/{project}/locations/global/workloadIdentityPools/{pool}"))
        except NotFoundError:
            return None

    def _pool_op(self, op: dict[str, Any]) -> dict[str, Any]:
        return self.wait_operation("iam", op, lambda c, name: self._pools(c).operations().get(name=name))

    def create_pool(self, project: str, pool: str, body: dict[str, Any]) -> dict[str, Any]:
        op = self._call("iam", lambda c: self._pools(c).create(
            parent=f"projects/{project}/locations/global", workloadIdentityPoolId=pool, body=body))
        return self._pool_op(op)

    def undelete_pool(self, project: str, pool: str) -> dict[str, Any]:
        op = self._call("iam", lambda c: self._pools(c).undelete(
            name=f"projects/{project}/locations/global/workloadIdentityPools/{pool}", body={}))
        return self._pool_op(op)

    def patch_pool(self, project: str, pool: str, body: dict[str, Any], mask: str) -> dict[str, Any]:
        op = self._call("iam", lambda c: self._pools(c).patch(
            name=f"projects/{project}/locations/global/workloadIdentityPools/{pool}", updateMask=mask, body=body))
        return self._pool_op(op)

    # -- IAM: providers ---------------------------------------------------------------------
    @staticmethod
    def _providers(c):
        return c.projects().locations().workloadIdentityPools().providers()

    @staticmethod
    def _provider_name(project: str, pool: str, provider: str) -> str:
        return f"projects/{project}/locations/global/workloadIdentityPools/{pool}/providers/{provider}"

    def _provider_op(self, op: dict[str, Any]) -> dict[str, Any]:
        return self.wait_operation("iam", op, lambda c, name: self._providers(c).operations().get(name=name))

    def get_provider(self, project: str, pool: str, provider: str) -> dict[str, Any] | None:
        try:
            return self._call("iam", lambda c: self._providers(c).get(name=self._provider_name(project, pool, provider)))
        except NotFoundError:
            return None

    def list_providers(self, project: str, pool: str, show_deleted: bool = False) -> list[dict[str, Any]]:
        out, token = [], None
        while True:
            page = self._call("iam", lambda c, t=token: self._providers(c).list(
                parent=f"projects/{project}/locations/global/workloadIdentityPools/{pool}",
                showDeleted=show_deleted, pageSize=100, pageToken=t))
            out.extend(page.get("workloadIdentityPoolProviders", []))
            token = page.get("nextPageToken")
            if not token:
                return out

    def create_provider(self, project: str, pool: str, provider: str, body: dict[str, Any]) -> dict[str, Any]:
        op = self._call("iam", lambda c: self._providers(c).create(
            parent=f"projects/{project}/locations/global/workloadIdentityPools/{pool}",
            workloadIdentityPoolProviderId=provider, body=body))
        return self._provider_op(op)

    def patch_provider(self, project: str, pool: str, provider: str, body: dict[str, Any], mask: str) -> dict:
        op = self._call("iam", lambda c: self._providers(c).patch(
            name=self._provider_name(project, pool, provider), updateMask=mask, body=body))
        return self._provider_op(op)

    def undelete_provider(self, project: str, pool: str, provider: str) -> dict[str, Any]:
        op = self._call("iam", lambda c: self._providers(c).undelete(
            name=self._provider_name(project, pool, provider), body={}))
        return self._provider_op(op)

    # -- IAM: service accounts ------------------------------------------------------------------
    def get_service_account(self, email: str, project: str = "-") -> dict[str, Any] | None:
        try:
            return self._call("iam", lambda c: c.projects().serviceAccounts().get(
                name=f"projects/{project}/serviceAccounts/{email}"))
        except NotFoundError:
            return None

    def create_service_account(self, project: str, account_id: str, display_name: str = "",
                               description: str = "") -> dict[str, Any]:
        body = {"accountId": account_id, "serviceAccount": {"displayName": display_name, "description": description}}
        return self._call("iam", lambda c: c.projects().serviceAccounts().create(name=f"projects/{project}", body=body))

    def get_service_account_policy(self, email: str, project: str = "-") -> dict[str, Any]:
        return self._call("iam", lambda c: c.projects().serviceAccounts().getIamPolicy(
            resource=f"projects/{project}/serviceAccounts/{email}", options_requestedPolicyVersion=3))

    def set_service_account_policy(self, email: str, policy: dict[str, Any], project: str = "-") -> dict[str, Any]:
        return self._call("iam", lambda c: c.projects().serviceAccounts().setIamPolicy(
            resource=f"projects/{project}/serviceAccounts/{email}", body={"policy": policy}))

    # -- IAM Credentials (google-cloud-iam, REST) -----------------------------------------------
    def _credentials_client(self) -> Any:
        client = getattr(self._local, "iamcredentials", None)
        if client is None:
            from google.cloud import iam_credentials_v1

            client = iam_credentials_v1.IAMCredentialsClient(
                transport="rest", credentials=self.credentials,
                client_options={"api_endpoint": self.endpoints.iamcredentials.rstrip("/"),
                                "universe_domain": self.endpoints.universe_domain})
            self._local.iamcredentials = client
        return client

    def generate_id_token(self, email: str, audience: str, include_email: bool = True) -> str:
        def once():
            try:
                return self._credentials_client().generate_id_token(
                    name=f"projects/-/serviceAccounts/{email}", audience=audience, include_email=include_email).token
            except Exception as e:
                raise errors.from_exception(e, "iamcredentials") from None

        return call_with_retry(once, errors.is_retryable, self._backoff, self._sleep)

    # -- read-only listings for the TUI's suggestions -------------------------------------------
    def credentials_summary(self) -> dict[str, str | None]:
        """Who the admin calls run as, without a network call: {"account": email | None, "project": id | None}.

        Raises UnauthenticatedError when no credentials can be found (no ADC, no file).
        """
        creds = self.credentials
        account = getattr(creds, "service_account_email", None) or getattr(creds, "signer_email", None)
        project = getattr(creds, "project_id", None) or getattr(creds, "quota_project_id", None)
        return {"account": account if isinstance(account, str) else None,
                "project": project if isinstance(project, str) else None}

    def caller_member(self, metadata_email: str | None = None) -> str | None:
        """The IAM member these credentials act as (`serviceAccount:…` / `user:…`), when the credentials
        say so without a network call; None otherwise. `metadata_email` names the metadata server's
        default account, which compute_engine credentials call "default" before their first refresh."""
        creds = self.credentials
        email = getattr(creds, "service_account_email", None)
        if email == "default":
            email = metadata_email
        if isinstance(email, str) and "@" in email:
            return f"serviceAccount:{email}"
        account = getattr(creds, "account", None)  # authorized_user files from gcloud carry it
        if isinstance(account, str) and "@" in account:
            return f"user:{account}"
        return None

    def list_pools(self, project: str, show_deleted: bool = False) -> list[dict[str, Any]]:
        out, token = [], None
        while True:
            page = self._call("iam", lambda c, t=token: self._pools(c).list(
                parent=f"projects/{project}/locations/global", showDeleted=show_deleted, pageSize=100, pageToken=t))
            out.extend(page.get("workloadIdentityPools", []))
            token = page.get("nextPageToken")
            if not token:
                return out

    def list_service_accounts(self, project: str) -> list[dict[str, Any]]:
        out, token = [], None
        while True:
            page = self._call("iam", lambda c, t=token: c.projects().serviceAccounts().list(
                name=f"projects/{project}", pageSize=100, pageToken=t))
            out.extend(page.get("accounts", []))
            token = page.get("nextPageToken")
            if not token:
                return out
