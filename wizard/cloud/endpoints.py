"""Where the clouds are: the real ones, or a sandbox described by its endpoints.json.

Every xwiz command honours `XWIZ_SANDBOX=path/to/endpoints.json` (or `--sandbox-file`), which points
every Google and AWS client at the sandbox: one code path for both.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.model.errors import InputError

SANDBOX_ENV = "XWIZ_SANDBOX"


@dataclass(frozen=True)
class GoogleEndpoints:
    iam: str = "https://iam.googleapis.com/"
    sts: str = "https://sts.googleapis.com/"
    iamcredentials: str = "https://iamcredentials.googleapis.com/"
    serviceusage: str = "https://serviceusage.googleapis.com/"
    cloudresourcemanager: str = "https://cloudresourcemanager.googleapis.com/"
    universe_domain: str = "googleapis.com"
    admin_credentials: str | None = None
    """A credentials file for admin calls; None = Application Default Credentials."""
    metadata_host: str | None = None

    @property
    def sts_token_url(self) -> str:
        return self.sts + "v1/token"


@dataclass(frozen=True)
class AwsEndpoints:
    endpoint_url: str | None = None
    """One endpoint for every AWS service (the sandbox); None = AWS's own per-service endpoints."""
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = field(default=None, repr=False)
    """Kept out of repr: a Services bundle printed in a traceback or log must not carry a key."""
    imds_url: str = "http://169.254.169.254"


@dataclass(frozen=True)
class Endpoints:
    google: GoogleEndpoints = field(default_factory=GoogleEndpoints)
    aws: AwsEndpoints = field(default_factory=AwsEndpoints)
    sandbox: dict[str, Any] | None = None
    """The sandbox's whole endpoints.json when running against one."""
    sandbox_file: str | None = None

    @property
    def is_sandbox(self) -> bool:
        return self.sandbox is not None

    @classmethod
    def real(cls) -> "Endpoints":
        return cls()

    @classmethod
    def from_sandbox_file(cls, path: str | os.PathLike) -> "Endpoints":
        p = Path(path)
        try:
            data = json.loads(p.read_text())
        except FileNotFoundError:
            raise InputError(SANDBOX_ENV, f"{p} does not exist",
                             "the endpoints.json of a running sandbox (xwiz sandbox up --dir DIR)") from None
        except (OSError, ValueError) as e:
            raise InputError(SANDBOX_ENV, f"{p} cannot be read as JSON ({e.__class__.__name__})",
                             "the endpoints.json of a running sandbox") from None
        return cls.from_sandbox(data, str(p))

    @classmethod
    def from_sandbox(cls, data: dict[str, Any], path: str | None = None) -> "Endpoints":
        try:
            g, a = data["gcp"], data["aws"]
            google = GoogleEndpoints(
                iam=g["iam"], sts=g["sts"], iamcredentials=g["iamcredentials"], serviceusage=g["serviceusage"],
                cloudresourcemanager=g["cloudresourcemanager"], universe_domain=g["universe_domain"],
                admin_credentials=g.get("admin_credentials"), metadata_host=g.get("metadata_host"))
            aws = AwsEndpoints(endpoint_url=a["endpoint_url"], region=a["region"],
                               access_key_id=a["admin"]["access_key_id"],
                               secret_access_key=a["admin"]["secret_access_key"], imds_url=a["imds_url"])
        except (KeyError, TypeError) as e:
            raise InputError(SANDBOX_ENV, f"{path or 'the sandbox file'} lacks {e}",
                             "the endpoints.json a sandbox writes (keys gcp, aws, control_url)") from None
        return cls(google, aws, data, path)

    @classmethod
    def resolve(cls, sandbox_file: str | None = None, environ: dict[str, str] | None = None) -> "Endpoints":
        """`--sandbox-file` first, then `$XWIZ_SANDBOX`, else the real clouds."""
        env = os.environ if environ is None else environ
        path = sandbox_file or env.get(SANDBOX_ENV)
        return cls.from_sandbox_file(path) if path else cls.real()
