"""The sandbox's own signing keys: the emulated accounts.google.com and the admin service account.

Generated fresh at every start (RSA-2048 takes ~0.2 s); key objects are kept loaded because
signing with PEM bytes costs ~70 ms a token (feasibility §7).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import identities as ids


@dataclass
class SigningKey:
    kid: str
    private_key: Any

    @property
    def public_key(self) -> Any:
        return self.private_key.public_key()

    def jwk(self) -> dict[str, Any]:
        from jwt.algorithms import RSAAlgorithm

        return RSAAlgorithm.to_jwk(self.public_key, as_dict=True) | {"kid": self.kid, "use": "sig", "alg": "RS256"}

    def sign(self, claims: dict[str, Any]) -> str:
        import jwt

        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})

    def private_pem(self) -> str:
        from cryptography.hazmat.primitives import serialization

        return self.private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()).decode()


def _rsa() -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class SandboxKeys:
    google: SigningKey
    """Signs Google ID tokens (iss https://accounts.google.com)."""
    admin_sa: SigningKey
    """The admin service account's key, in the admin credentials file."""
    eks: SigningKey
    """The EKS cluster's service-account token issuer."""

    @classmethod
    def generate(cls) -> "SandboxKeys":
        return cls(SigningKey(secrets.token_hex(20), _rsa()), SigningKey(secrets.token_hex(20), _rsa()),
                   SigningKey(secrets.token_hex(20), _rsa()))

    def write_admin_credentials(self, path: Path, token_uri: str) -> None:
        """A `service_account` file google-auth loads and refreshes against the sandbox's token endpoint."""
        email = f"{ids.ADMIN_SA_ID}@{ids.PROJECT_ID}.iam.gserviceaccount.com"
        info = {
            "type": "service_account",
            "project_id": ids.PROJECT_ID,
            "private_key_id": self.admin_sa.kid,
            "private_key": self.admin_sa.private_pem(),
            "client_email": email,
            "client_id": "104215871330214000000",
            "auth_uri": token_uri.rsplit("/", 1)[0] + "/auth",
            "token_uri": token_uri,
            "universe_domain": ids.UNIVERSE_DOMAIN,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(info, fh, indent=2)
