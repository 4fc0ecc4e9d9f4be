"""The canary: nothing the doctor shows may contain a token, a key or a secret."""

from __future__ import annotations

import re
from pathlib import Path

import requests

PATTERNS = (
    re.compile(r"ya29\.xwiz-sbx\."),                      # every access token the sandbox issues
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\."),  # any JWT (ID tokens, pod tokens)
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),         # a whole AWS access key id
    re.compile(r"PRIVATE KEY"),
)


def known_secrets(sb) -> list[str]:
    """The workload's and the admin's credentials, as the sandbox hands them out right now."""
    out = [sb.endpoints["aws"]["admin"]["secret_access_key"]]
    imds = sb.url("imds")
    token = requests.put(f"{imds}/latest/api/token", headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"}).text
    headers = {"X-aws-ec2-metadata-token": token}
    role = requests.get(f"{imds}/latest/meta-data/iam/security-credentials", headers=headers).text.strip()
    creds = requests.get(f"{imds}/latest/meta-data/iam/security-credentials/{role}", headers=headers).json()
    out += [creds["SecretAccessKey"], creds["Token"], creds["AccessKeyId"]]
    token_file = Path(sb.endpoints["aws"]["eks"]["token_file"])
    if token_file.exists():
        out.append(token_file.read_text().strip())
    return out


def assert_no_secrets(sb, text: str, extra: tuple[str, ...] | frozenset = ()) -> None:
    for pattern in PATTERNS:
        match = pattern.search(text)
        assert match is None, f"output contains {pattern.pattern!r}: …{text[max(0, match.start() - 60):match.end() + 20]}…"
    for secret in (*known_secrets(sb), *extra):
        assert secret not in text, "output contains a secret"
