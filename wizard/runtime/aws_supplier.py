"""A google-auth AWS credentials supplier backed by boto3's credential chain.

google-auth's own AWS source knows two things: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` in the
environment, and the EC2 instance metadata service (cloud-facts §4.2). Workloads on ECS/Fargate
(container credentials), with an `AWS_PROFILE` (SSO, `credential_process`, assumed roles), or with
`AWS_WEB_IDENTITY_TOKEN_FILE` (EKS IRSA) get "Unable to retrieve AWS role name" there (M15). boto3
resolves all of them; this supplier hands its answer to google-auth.

Example — on the workload, with the credential configuration `xwiz apply` wrote::

    import json
    from google.auth.transport.requests import Request
    from wizard.runtime.aws_supplier import BotoSupplier, credentials_from_config

    config = json.load(open("credentials-aws-workload.json"))
    credentials = credentials_from_config(config, BotoSupplier())   # cloud-platform scope by default
    credentials.refresh(Request())                                  # AWS STS signature → Google STS → SA token

which is the same as building it by hand::

    import google.auth.aws
    credentials = google.auth.aws.Credentials(
        audience=config["audience"], subject_token_type=config["subject_token_type"],
        token_url=config["token_url"], aws_security_credentials_supplier=BotoSupplier(),
        service_account_impersonation_url=config["service_account_impersonation_url"],
        scopes=["https://www.googleapis.com/auth/cloud-platform"])

The supplier never logs or prints a credential. This module is the only one in `wizard/runtime`
that imports boto3 and google-auth, because a workload imports it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

import boto3
from google.auth import aws, exceptions

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"


class BotoSupplier(aws.AwsSecurityCredentialsSupplier):
    """AWS credentials and region from a boto3 Session (its full credential chain).

    boto3 caches what it resolves: temporary credentials (IMDS, containers, SSO, assumed roles, web
    identity) come back as `RefreshableCredentials`, which refresh themselves shortly before expiry,
    so each call asks for a fresh frozen snapshot and never keeps a stale one.
    """

    def __init__(self, session: Any = None, *, profile_name: str | None = None,
                 region_name: str | None = None) -> None:
        self._session = session
        self._profile_name = profile_name
        self._region_name = region_name
        self._credentials = None  # boto3's (refreshable) credentials object, resolved once
        self._region: str | None = region_name
        self._lock = threading.RLock()

    @property
    def session(self) -> Any:
        if self._session is None:
            kwargs: dict[str, Any] = {}
            if self._profile_name:
                kwargs["profile_name"] = self._profile_name
            if self._region_name:
                kwargs["region_name"] = self._region_name
            self._session = boto3.Session(**kwargs)
        return self._session

    def _resolved(self) -> Any:
        with self._lock:
            if self._credentials is None:
                try:
                    self._credentials = self.session.get_credentials()
                except Exception as e:  # botocore's chain errors (SSO expired, bad profile, …)
                    raise exceptions.RefreshError(f"boto3 could not resolve AWS credentials: "
                                                  f"{type(e).__name__}: {e}") from None
                if self._credentials is None:
                    raise exceptions.RefreshError(
                        "boto3 found no AWS credentials (environment, profiles, SSO, web identity, "
                        "container or instance metadata)")
            return self._credentials

    def get_aws_security_credentials(self, context: Any, request: Any) -> aws.AwsSecurityCredentials:
        try:
            frozen = self._resolved().get_frozen_credentials()  # refreshes if close to expiry
        except exceptions.RefreshError:
            raise
        except Exception as e:
            raise exceptions.RefreshError(f"boto3 could not refresh AWS credentials: {type(e).__name__}") from None
        return aws.AwsSecurityCredentials(frozen.access_key, frozen.secret_key, frozen.token)

    def get_aws_region(self, context: Any, request: Any) -> str:
        with self._lock:
            if self._region is None:
                self._region = self._resolve_region()
            return self._region

    def _resolve_region(self) -> str:
        region = self.session.region_name or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if not region and getattr(self._resolved(), "method", None) == "iam-role":
            # On EC2 with no configured region, ask the instance metadata service, as google-auth's own
            # source does with region_url (boto3 itself only does that in its "auto" defaults mode).
            from botocore.utils import IMDSRegionProvider

            try:
                region = IMDSRegionProvider(self.session._session).provide()
            except Exception:  # noqa: BLE001 - no IMDS answer: fall through to the error below
                region = None
        if not region:
            raise exceptions.RefreshError("Unable to determine AWS region: set AWS_REGION or a profile's region")
        return region

def credentials_from_config(config: Mapping[str, Any], supplier: aws.AwsSecurityCredentialsSupplier | None = None,
                            *, scopes: list[str] | None = None) -> aws.Credentials:
    """google-auth credentials from an xwiz/gcloud AWS credential configuration, with `supplier`.

    `credential_source` is dropped (google-auth refuses both a source and a supplier); everything
    else — audience, token URL, impersonation URL and lifetime, universe domain — is kept.
    """
    if config.get("type") != "external_account" or config.get("subject_token_type") != \
            "urn:ietf:params:aws:token-type:aws4_request":
        raise ValueError("not an AWS credential configuration (type external_account, "
                         "subject_token_type urn:ietf:params:aws:token-type:aws4_request)")
    info = {k: v for k, v in config.items() if k != "credential_source"}
    return aws.Credentials.from_info(info, aws_security_credentials_supplier=supplier or BotoSupplier(),
                                     scopes=list(scopes or [CLOUD_PLATFORM]))
