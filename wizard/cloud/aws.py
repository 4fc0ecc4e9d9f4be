"""AWS adapter: STS, IAM, EKS, Organizations through boto3. The only module that imports boto3.

Against the sandbox every client goes to its one endpoint with the sandbox's fake admin keys;
against AWS, boto3's own credential chain (env, profiles, SSO, IMDS, containers) applies.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Callable

from . import errors
from .endpoints import AwsEndpoints
from .retry import DEFAULT, Backoff, call_with_retry


_LOADER_LOCK = threading.Lock()
_SHARED_LOADER = None


def _botocore_session() -> Any:
    """A new botocore session sharing one process-wide data loader.

    Parsing botocore's service models and endpoints.json costs 100-200 ms per session; the loader
    caches them, so every adapter (one per assumed role, per Services bundle) parses them once.
    Nothing else is shared: credentials and config stay per session.
    """
    global _SHARED_LOADER
    import botocore.loaders
    import botocore.session

    with _LOADER_LOCK:
        if _SHARED_LOADER is None:
            _SHARED_LOADER = botocore.loaders.create_loader()
    session = botocore.session.get_session()
    session.register_component("data_loader", _SHARED_LOADER)
    return session


class AwsAdapter:
    def __init__(self, endpoints: AwsEndpoints, *, profile: str | None = None, credentials: dict | None = None,
                 backoff: Backoff = DEFAULT, sleep: Callable[[float], None] = time.sleep) -> None:
        self.endpoints = endpoints
        self.profile = profile
        self._explicit = credentials
        self._backoff = backoff
        self._sleep = sleep
        self._session = None
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str | None], Any] = {}

    # -- plumbing --------------------------------------------------------------------------
    def _boto_session(self) -> Any:
        with self._lock:
            if self._session is None:
                import boto3

                kw: dict[str, Any] = {}
                creds = self._explicit or (
                    {"aws_access_key_id": self.endpoints.access_key_id,
                     "aws_secret_access_key": self.endpoints.secret_access_key}
                    if self.endpoints.access_key_id else None)
                if creds:
                    kw.update(creds)
                if self.profile and not creds:
                    kw["profile_name"] = self.profile
                if self.endpoints.region:
                    kw["region_name"] = self.endpoints.region
                self._session = boto3.Session(botocore_session=_botocore_session(), **kw)
            return self._session

    @property
    def region(self) -> str | None:
        return self.endpoints.region or self._boto_session().region_name

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region)
        with self._lock:
            cached = self._clients.get(key)
        if cached is not None:
            return cached
        from botocore.config import Config

        session = self._boto_session()
        client = session.client(service, region_name=region or self.region or "us-east-1",
                                endpoint_url=self.endpoints.endpoint_url,
                                config=Config(retries={"max_attempts": 1, "mode": "standard"},
                                              connect_timeout=10, read_timeout=60))
        with self._lock:
            self._clients.setdefault(key, client)
        return client

    def _call(self, service: str, fn: Callable[[Any], Any], region: str | None = None) -> Any:
        def once():
            try:
                return fn(self.client(service, region))
            except Exception as e:
                raise errors.from_exception(e, f"aws:{service}") from None

        return call_with_retry(once, errors.is_retryable, self._backoff, self._sleep)

    def for_credentials(self, credentials: dict[str, str]) -> "AwsAdapter":
        """An adapter acting with other credentials (an assumed role in another account)."""
        return AwsAdapter(self.endpoints, credentials={
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"]}, backoff=self._backoff, sleep=self._sleep)

    # -- STS ----------------------------------------------------------------------------
    def caller_identity(self) -> dict[str, str]:
        out = self._call("sts", lambda c: c.get_caller_identity())
        return {"Account": out["Account"], "Arn": out["Arn"], "UserId": out["UserId"]}

    def assume_role(self, role_arn: str, session_name: str, duration_s: int = 3600) -> dict[str, Any]:
        return self._call("sts", lambda c: c.assume_role(RoleArn=role_arn, RoleSessionName=session_name,
                                                          DurationSeconds=duration_s))

    def assume_role_with_web_identity(self, role_arn: str, token: str, session_name: str,
                                      duration_s: int = 3600) -> dict[str, Any]:
        """Needs no AWS credentials: the web identity token is the credential."""
        from botocore import UNSIGNED
        from botocore.config import Config

        def once():
            import boto3

            try:
                sts = boto3.client("sts", region_name=self.region or "us-east-1",
                                   endpoint_url=self.endpoints.endpoint_url,
                                   config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))
                return sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName=session_name,
                                                         WebIdentityToken=token, DurationSeconds=duration_s)
            except Exception as e:
                raise errors.from_exception(e, "aws:sts") from None

        return call_with_retry(once, errors.is_retryable, self._backoff, self._sleep)

    # -- IAM ----------------------------------------------------------------------------
    def get_role(self, role_name: str) -> dict[str, Any] | None:
        from wizard.model.errors import NotFoundError

        try:
            role = self._call("iam", lambda c: c.get_role(RoleName=role_name))["Role"]
        except NotFoundError:
            return None
        doc = role.get("AssumeRolePolicyDocument")
        if isinstance(doc, str):  # real IAM returns it URL-encoded; boto3 decodes to a dict
            role["AssumeRolePolicyDocument"] = json.loads(doc)
        return role

    def create_role(self, role_name: str, trust_policy: dict[str, Any], description: str = "",
                    max_session_s: int = 3600, tags: dict[str, str] | None = None) -> dict[str, Any]:
        kw: dict[str, Any] = {"RoleName": role_name, "AssumeRolePolicyDocument": json.dumps(trust_policy),
                              "Description": description, "MaxSessionDuration": max_session_s}
        if tags:
            kw["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        return self._call("iam", lambda c: c.create_role(**kw))["Role"]

    def update_trust_policy(self, role_name: str, trust_policy: dict[str, Any]) -> None:
        self._call("iam", lambda c: c.update_assume_role_policy(RoleName=role_name,
                                                                PolicyDocument=json.dumps(trust_policy)))

    def attached_policies(self, role_name: str) -> list[str]:
        out = self._call("iam", lambda c: c.list_attached_role_policies(RoleName=role_name))
        return [p["PolicyArn"] for p in out.get("AttachedPolicies", [])]

    def attach_policy(self, role_name: str, policy_arn: str) -> None:
        self._call("iam", lambda c: c.attach_role_policy(RoleName=role_name, PolicyArn=policy_arn))

    def list_open_id_connect_providers(self) -> list[str]:
        out = self._call("iam", lambda c: c.list_open_id_connect_providers())
        return [p["Arn"] for p in out.get("OpenIDConnectProviderList", [])]

    # -- EKS / Organizations ------------------------------------------------------------------
    def describe_cluster(self, name: str, region: str | None = None) -> dict[str, Any]:
        return self._call("eks", lambda c: c.describe_cluster(name=name), region)["cluster"]

    def list_accounts(self, parent_ou: str | None = None) -> list[dict[str, Any]]:
        def fetch(c):
            pager = (c.get_paginator("list_accounts_for_parent").paginate(ParentId=parent_ou) if parent_ou
                     else c.get_paginator("list_accounts").paginate())
            return [a for page in pager for a in page.get("Accounts", [])]

        return self._call("organizations", fetch)

    # -- read-only listings for the TUI's suggestions -------------------------------------------
    def list_roles(self, path_prefix: str = "/") -> list[dict[str, Any]]:
        """Roles in the caller's account: RoleName, Arn, Path (trust policies left out)."""
        def fetch(c):
            pages = c.get_paginator("list_roles").paginate(PathPrefix=path_prefix)
            return [{"RoleName": r["RoleName"], "Arn": r["Arn"], "Path": r.get("Path", "/")}
                    for page in pages for r in page.get("Roles", [])]

        return self._call("iam", fetch)

    def list_clusters(self, region: str | None = None) -> list[str]:
        def fetch(c):
            return [name for page in c.get_paginator("list_clusters").paginate() for name in page.get("clusters", [])]

        return self._call("eks", fetch, region)


def profile_caller_identity(profile: str, config_file: str | None = None) -> dict[str, str]:
    """sts:GetCallerIdentity through a fresh session that has nothing but `profile` of `config_file`
    (default: botocore's own lookup), as a new process with AWS_PROFILE would: the profile's
    credential_process, endpoint_url and region apply. Returns Account, Arn, UserId — never keys."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    from wizard.model.errors import InvalidRequestError

    session = _botocore_session()
    if config_file:
        session.set_config_variable("config_file", config_file)
    try:
        # an explicit profile_name also keeps AWS_ACCESS_KEY_ID & co. of this process out of the chain
        sts = boto3.Session(botocore_session=session, profile_name=profile).client("sts")
        out = sts.get_caller_identity()
    except ProfileNotFound:
        raise InvalidRequestError(f"profile {profile} is not in {config_file or 'the AWS config file'}",
                                  service="aws:sts", code="ProfileNotFound") from None
    except Exception as e:
        raise errors.from_exception(e, "aws:sts") from None
    return {"Account": out["Account"], "Arn": out["Arn"], "UserId": out["UserId"]}
