"""Kubernetes snippets for EKS pods that federate to Google Cloud: a Secret, a volume, an env var.

The Secret holds the credential configuration, which contains no secret (it only points google-auth at
the pod's token file and at Google's endpoints); it is a Secret rather than a ConfigMap because that is
what Google's Kubernetes guide does, and it keeps every pod spec the same across clusters.

The token: under IRSA the EKS pod identity webhook mounts
`/var/run/secrets/eks.amazonaws.com/serviceaccount/token` (audience `sts.amazonaws.com`) — only in pods
whose service account carries the `eks.amazonaws.com/role-arn` annotation. Without IRSA, or to use
a dedicated audience, mount a projected service account token (`projected_audience`) (M25).

YAML is written by hand (JSON-quoted scalars are valid YAML), so no YAML library is needed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from wizard.model import identifiers as ids
from wizard.model.errors import InputError, show
from wizard.model.identifiers import KubernetesServiceAccount

SECRET_NAME = "gcp-credentials"
CONFIG_KEY = "credential-configuration.json"
MOUNT_PATH = "/etc/workload-identity"
PROJECTED_TOKEN_DIR = "/var/run/secrets/xwiz/serviceaccount"
PROJECTED_TOKEN_PATH = f"{PROJECTED_TOKEN_DIR}/token"


def _q(value: str) -> str:
    return json.dumps(value)


def _name(value: str, field: str) -> str:
    """Object names: DNS-1123 subdomains (at most 253 characters)."""
    if not isinstance(value, str) or not (len(value) <= 253 and ids._K8S_SUBDOMAIN.fullmatch(value)):
        raise InputError(field, f"{show(value)} is not a Kubernetes object name",
                         "lowercase letters, digits, - and ., e.g. gcp-credentials")
    return value


def credential_secret(config: Mapping[str, Any], namespace: str, *, name: str = SECRET_NAME,
                      key: str = CONFIG_KEY) -> str:
    """A Secret with the credential configuration under `key`, as YAML."""
    ksa = ids.kubernetes_service_account(f"{namespace}/placeholder", "namespace")
    body = json.dumps(config, indent=2)
    indented = "\n".join("    " + line for line in body.splitlines())
    return (
        "apiVersion: v1\n"
        "kind: Secret\n"
        "metadata:\n"
        f"  name: {_q(_name(name, 'name'))}\n"
        f"  namespace: {_q(ksa.namespace)}\n"
        "  annotations:\n"
        '    xwiz.dev/note: "credential configuration only: holds no secret"\n'
        "type: Opaque\n"
        "stringData:\n"
        f"  {_q(key)}: |\n"
        f"{indented}\n"
    )


def pod_snippet(service_account: KubernetesServiceAccount, *, container: str = "app",
                secret_name: str = SECRET_NAME, key: str = CONFIG_KEY, mount_path: str = MOUNT_PATH,
                projected_audience: str | None = None, token_expiration_s: int = 3600) -> str:
    """The pod spec fragment: serviceAccountName, the env var, the mount and the volume(s), as YAML.

    With `projected_audience`, a projected service account token for that audience is mounted at
    `PROJECTED_TOKEN_PATH`; the credential configuration's token_path must then be that path.
    """
    if not isinstance(service_account, KubernetesServiceAccount):
        raise TypeError("pod_snippet needs a KubernetesServiceAccount")
    _name(container, "container")
    _name(secret_name, "secret_name")
    config_path = f"{mount_path.rstrip('/')}/{key}"
    lines = [
        "# Merge into the pod template (spec.template.spec of a Deployment).",
        f"serviceAccountName: {_q(service_account.name)}",
        "containers:",
        f"- name: {_q(container)}",
        "  env:",
        "  - name: GOOGLE_APPLICATION_CREDENTIALS",
        f"    value: {_q(config_path)}",
        "  volumeMounts:",
        f"  - name: {_q(secret_name)}",
        f"    mountPath: {_q(mount_path)}",
        "    readOnly: true",
    ]
    if projected_audience is not None:
        ids.oidc_audience(projected_audience, "projected_audience")
        lines += [
            "  - name: \"gcp-token\"",
            f"    mountPath: {_q(PROJECTED_TOKEN_DIR)}",
            "    readOnly: true",
        ]
    lines += [
        "volumes:",
        f"- name: {_q(secret_name)}",
        "  secret:",
        f"    secretName: {_q(secret_name)}",
    ]
    if projected_audience is not None:
        lines += [
            "- name: \"gcp-token\"",
            "  projected:",
            "    sources:",
            "    - serviceAccountToken:",
            f"        audience: {_q(projected_audience)}",
            f"        expirationSeconds: {int(token_expiration_s)}",
            "        path: \"token\"",
        ]
    return "\n".join(lines) + "\n"


def manifests(config: Mapping[str, Any], service_account: KubernetesServiceAccount, **pod_options: Any) -> str:
    """The Secret, then the pod snippet (as a comment block to merge by hand), for `xwiz export`/the TUI."""
    secret = credential_secret(config, service_account.namespace,
                               name=pod_options.get("secret_name", SECRET_NAME),
                               key=pod_options.get("key", CONFIG_KEY))
    snippet = pod_snippet(service_account, **pod_options)
    return secret + "".join(f"# {line}\n" if line else "#\n" for line in snippet.splitlines())
