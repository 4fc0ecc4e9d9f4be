"""Canary: no token, AWS secret or key material in anything plan/apply/verify/export print or write."""

from __future__ import annotations

import re

import requests

from .helpers import clean_aws_env, worker_role_credentials, write_spec, xwiz

FORBIDDEN_PATTERNS = [
    re.compile(r"ya29\.xwiz-sbx"),          # sandbox access tokens
    re.compile(r"ya29\."),                  # any Google access token
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}"),    # any JWT (ID tokens, EKS tokens, STS subject tokens)
    re.compile(r"-----BEGIN"),              # any PEM key
    re.compile(r"\bASIA[A-Z0-9]{12,}"),     # temporary AWS access key ids
]


def _instance_secrets(endpoints) -> list[str]:
    base = endpoints["aws"]["imds_url"] + "/latest/meta-data/iam/security-credentials/"
    role = requests.get(base, timeout=5).text.strip()
    creds = requests.get(base + role, timeout=5).json()
    return [creds["AccessKeyId"], creds["SecretAccessKey"], creds["Token"]]


def test_no_secret_in_any_output_or_file(sandbox, endpoints, tmp_path, monkeypatch):
    clean_aws_env(monkeypatch, tmp_path, endpoints)
    sandbox.set_knobs(propagation_delay_s=1.5)  # make verify go through its retry/progress path too
    spec = write_spec(tmp_path)
    outputs = []
    for args in (["plan", "-f", str(spec)], ["export", "-f", str(spec), "--format", "shell"],
                 ["apply", "-f", str(spec), "--auto-approve"], ["plan", "-f", str(spec), "--output", "json"],
                 ["apply", "-f", str(spec), "--auto-approve"],
                 ["export", "-f", str(spec), "--format", "terraform", "--all"]):
        result = xwiz(sandbox, *args)
        assert result.exit_code == 0, result.output
        outputs.append(result.stdout + result.stderr)
    assert "✓ verify aws-workload" in outputs[2]
    written = {p.name: p.read_text() for p in tmp_path.iterdir() if p.is_file()}
    assert {"credentials-aws-workload.json", "credentials-eks-demo.json", "credentials-eks-demo.k8s.yaml"} <= set(written)

    secrets = _instance_secrets(endpoints) + list(worker_role_credentials(endpoints).values())[:3]
    secrets.append(open(endpoints["aws"]["eks"]["token_file"]).read().strip())
    for name, text in [*(("output", o) for o in outputs), *written.items()]:
        for pattern in FORBIDDEN_PATTERNS:
            assert not pattern.search(text), f"{name} matches {pattern.pattern}"
        for secret in secrets:
            assert isinstance(secret, str) and secret not in text, f"{name} contains a credential"
