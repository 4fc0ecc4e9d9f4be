"""The emulated AWS accounts: moto, in-process, behind the sandbox's own front.

moto keeps the resources (IAM users, roles, OIDC providers, EC2, EKS, Organizations, STS sessions);
the front (front.py) checks every signature and answers AssumeRoleWithWebIdentity itself, because
moto accepts any signature, any web identity token and any role (feasibility §2).

moto's state is process-global: one AwsWorld per process. Its STS clock is pointed at the
sandbox clock, so session expirations follow the clock-offset knob.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import identities as ids

if TYPE_CHECKING:
    from ..core import Sandbox

PARTITION = "aws"
EKS_TOKEN_LIFETIME_S = 24 * 3600
"""Projected service-account tokens: kubelet asks for 24 h on EKS (`expirationSeconds: 86400`)."""
INSTANCE_CREDENTIAL_LIFETIME_S = 6 * 3600
INSTANCE_CREDENTIAL_REFRESH_S = 60 * 60
"""IMDS hands out fresh instance credentials well before the old ones expire."""


@dataclass(frozen=True)
class KeyInfo:
    """What the front needs to check a request signed with an access key."""

    secret: str
    session_token: str | None
    account: str
    arn: str
    expiration: float | None
    """Epoch seconds (sandbox clock) for session credentials, None for long-term keys."""
    active: bool = True
    role_arn: str | None = None


def _dispatcher_class() -> type:
    from moto import backends
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    modules = frozenset(backends.list_of_moto_modules())

    class Dispatcher(DomainDispatcherApplication):
        """moto's dispatcher, minus a listing of moto's package directory on every request (~1.5 ms of
        stat calls each, to recognise a host named after a backend); that list is read once here."""

        def get_backend_for_host(self, host: str | None) -> Any:
            if host is None:
                return None
            if host == "moto_api" or host in modules:
                return host
            for backend, pattern in self.backend_url_patterns:
                if pattern.match(f"http://{host}"):
                    return backend
            return super().get_backend_for_host(host)  # moto's own answer (and message) for the rest

    return Dispatcher


class AwsWorld:
    def __init__(self, sb: "Sandbox") -> None:
        # moto builds ~1,300 public AMIs into every EC2 backend (0.2 s each reset); the sandbox needs none
        os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        from moto.moto_server.werkzeug_app import create_backend_app

        self.sb = sb
        self.app = _dispatcher_class()(create_backend_app)
        self.eks_pod_uid = str(uuid.uuid4())
        self.eks_sa_uid = str(uuid.uuid4())
        self._instance_lock = threading.Lock()
        self._instance_credentials: dict[str, Any] | None = None
        self.instance_profile_arn = ""
        self.instance_profile_id = ""
        self.organization_id = ""
        _point_moto_clock_at(sb)

    # -- lifecycle ------------------------------------------------------------------------
    def reset(self) -> None:
        """Wipe every moto backend, then seed the `workload` and `second` accounts."""
        from moto.moto_api._internal.models import moto_api_backend

        from . import seed

        with self.sb.lock:
            moto_api_backend.reset()  # what POST /moto-api/reset does
            self._instance_credentials = None
            self._instance_seeded = False
            seed.seed(self)
        self.write_eks_token()

    def ensure_instance(self) -> None:
        """Seed the demo EC2 instance on the first EC2 API call.

        Only EC2's own API shows the instance (IMDS needs none of it), and importing moto's EC2
        models costs ~0.9 s (its region and instance-type tables), more than half of a cold start.
        """
        from . import seed

        with self.sb.lock:
            if not getattr(self, "_instance_seeded", False):
                seed.ec2_instance(self, self.clients.client("ec2", seed.WORKLOAD))
                self._instance_seeded = True

    def close(self) -> None:
        pass

    # -- lookups ------------------------------------------------------------------------
    def iam(self, account: str):
        from moto.iam.models import iam_backends

        return iam_backends[account][PARTITION]

    def sts(self, account: str):
        from moto.sts.models import sts_backends

        return sts_backends[account][PARTITION]

    def ec2(self, account: str = ids.AWS_ACCOUNTS["workload"]):
        from moto.ec2.models import ec2_backends

        return ec2_backends[account][ids.AWS_REGION]

    def eks(self, account: str = ids.AWS_ACCOUNTS["workload"]):
        from moto.eks.models import eks_backends

        return eks_backends[account][ids.AWS_REGION]

    def key_info(self, access_key_id: str) -> KeyInfo | None:
        """The owner of an access key: an IAM user's key or an STS session's, or None."""
        from moto.iam.models import iam_backends
        from moto.sts.models import sts_backends

        for account, by_partition in list(sts_backends.items()):
            backend = by_partition.get(PARTITION) if hasattr(by_partition, "get") else None
            for session in list(getattr(backend, "assumed_roles", []) or []):
                if session.access_key_id == access_key_id:
                    exp = session.expiration.replace(tzinfo=dt.timezone.utc).timestamp()
                    return KeyInfo(session.secret_access_key, session.session_token, session.account_id,
                                   session.arn, exp, role_arn=session.role_arn)
        for account, by_partition in list(iam_backends.items()):
            backend = by_partition.get(PARTITION) if hasattr(by_partition, "get") else None
            key = (getattr(backend, "access_keys", {}) or {}).get(access_key_id)
            if key is None or key.user_name is None:
                continue
            user = backend.users.get(key.user_name)
            if user is None:
                continue
            return KeyInfo(key.secret_access_key, None, account, user.arn, None, active=key.status == "Active")
        return None

    def secret_for(self, access_key_id: str):
        """`(secret, session_token|None, account, arn, expiration|None)` for a known key, else None."""
        info = self.key_info(access_key_id)
        if info is None:
            return None
        return info.secret, info.session_token, info.account, info.arn, info.expiration

    def find_role(self, account: str, role_name: str):
        from moto.iam.exceptions import NotFoundException

        try:
            return self.iam(account).get_role(role_name)
        except NotFoundException:
            return None

    def trust_policy(self, account: str, role_name: str) -> dict | None:
        role = self.find_role(account, role_name)
        if role is None:
            return None
        doc = role.assume_role_policy_document
        if isinstance(doc, str):
            from urllib.parse import unquote

            try:
                return json.loads(doc)
            except ValueError:
                try:
                    return json.loads(unquote(doc))
                except ValueError:
                    return None
        return doc

    def oidc_provider(self, account: str, issuer: str):
        """The IAM OIDC provider for an issuer URL (`https://host/path`), or None."""
        host_path = issuer.removeprefix("https://").rstrip("/")
        arn = f"arn:aws:iam::{account}:oidc-provider/{host_path}"
        return self.iam(account).open_id_providers.get(arn)

    # -- sessions -------------------------------------------------------------------------
    def create_session(self, role_arn: str, session_name: str, duration_s: int, *, web_identity: bool = False):
        """Real moto session credentials for a role (its account is taken from the ARN)."""
        account = role_arn.split(":")[4]
        sts = self.sts(account)
        create = sts.assume_role_with_web_identity if web_identity else sts.assume_role
        return create(region_name=ids.AWS_REGION, role_session_name=session_name, role_arn=role_arn,
                      policy=None, duration=duration_s, external_id=None)

    def issue_instance_credentials(self) -> dict[str, Any]:
        """The instance role's current credentials, as IMDS serves them (refreshed before expiry)."""
        with self._instance_lock:
            now = self.sb.clock.now()
            current = self._instance_credentials
            if current is None or current["expiration"] - now < INSTANCE_CREDENTIAL_REFRESH_S \
                    or current["issued_at"] > now:
                role_arn = f"arn:aws:iam::{ids.AWS_ACCOUNTS['workload']}:role/{ids.INSTANCE_ROLE}"
                with self.sb.lock:
                    session = self.create_session(role_arn, ids.INSTANCE_ID, INSTANCE_CREDENTIAL_LIFETIME_S)
                current = {
                    "issued_at": now,
                    "expiration": session.expiration.replace(tzinfo=dt.timezone.utc).timestamp(),
                    "AccessKeyId": session.access_key_id,
                    "SecretAccessKey": session.secret_access_key,
                    "Token": session.session_token,
                }
                self._instance_credentials = current
            return dict(current)

    # -- EKS ------------------------------------------------------------------------------
    @property
    def eks_token_path(self) -> Path:
        return self.sb.directory / "eks" / "token"

    def eks_token_claims(self, audience: str = "sts.amazonaws.com", lifetime_s: int = EKS_TOKEN_LIFETIME_S,
                         issued_at: float | None = None) -> dict[str, Any]:
        now = int(self.sb.clock.now() if issued_at is None else issued_at)
        ns, sa = ids.KUBERNETES_NAMESPACE, ids.KUBERNETES_SERVICE_ACCOUNT
        return {
            "aud": [audience],
            "exp": now + int(lifetime_s),
            "iat": now,
            "nbf": now,
            "iss": ids.EKS_ISSUER,
            "jti": str(uuid.uuid4()),
            "kubernetes.io": {
                "namespace": ns,
                "pod": {"name": f"{sa}-7d9f8c6b5d-x2k4q", "uid": self.eks_pod_uid},
                "serviceaccount": {"name": sa, "uid": self.eks_sa_uid},
            },
            "sub": f"system:serviceaccount:{ns}:{sa}",
        }

    def mint_eks_token(self, audience: str = "sts.amazonaws.com", lifetime: int = EKS_TOKEN_LIFETIME_S,
                       issued_at: float | None = None) -> str:
        return self.sb.keys.eks.sign(self.eks_token_claims(audience, lifetime, issued_at))

    def write_eks_token(self, audience: str = "sts.amazonaws.com", lifetime: int = EKS_TOKEN_LIFETIME_S) -> str:
        """Write the projected token file as kubelet does (atomic rename, mode 0644); returns the token."""
        token = self.mint_eks_token(audience, lifetime)
        path = self.eks_token_path
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".token.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(fd, "w") as fh:
            fh.write(token)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        return token


def _point_moto_clock_at(sb: "Sandbox") -> None:
    """moto's STS stamps session expirations with its own `utcnow`; use the sandbox clock instead."""
    import moto.sts.models as sts_models

    def sandbox_utcnow() -> dt.datetime:
        return sb.clock.utcnow().replace(tzinfo=None)

    sts_models.utcnow = sandbox_utcnow
