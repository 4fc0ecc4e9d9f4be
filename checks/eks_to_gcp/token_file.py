from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from checks.context import Context
from checks.redact import jwt_claims, token_facts
from checks.spec import Outcome, check, failed, passed, skipped


def token_source(ctx: Context) -> tuple[str | None, Mapping]:
    t = ctx.inputs.eks_to_gcp
    data = t.cred_config.data if t.cred_config else None
    source = data.get("credential_source") if isinstance(data, Mapping) else None
    if isinstance(source, Mapping) and source.get("file"):
        return str(source["file"]), source.get("format") or {}
    return t.token_path, {}


@check("eks_to_gcp.token_file", "Read the pod's projected service account token",
       provides=("eks_to_gcp:token", "eks_to_gcp:claims"), timeout_s=5,
       causes=("oidc-token-unreadable", "oidc-token-expired"), live=True)
def token_file(ctx: Context) -> Outcome:
    """What it checks: the token file the configuration names (credential_source.file) exists and holds a
    JWT; shows its claims — iss, aud, sub, exp — never the token.

    Why it fails: no projected token at that path (the service account lacks the IRSA annotation, or the
    path differs: 'File … was not found'); an expired token (a stale file or a skewed clock).

    How to fix: annotate the Kubernetes service account / mount the projected token; restart the pod.
    """
    path, fmt = token_source(ctx)
    if not path:
        return skipped("no token file is configured")
    try:
        raw = Path(path).read_text()
    except OSError as e:
        return failed("oidc-token-unreadable", f"{path} cannot be read: {type(e).__name__}", {"path": path})
    token = raw.strip()
    if isinstance(fmt, Mapping) and fmt.get("type") == "json":
        try:
            token = str(json.loads(raw)[fmt.get("subject_token_field_name")])
        except (ValueError, KeyError, TypeError):
            return failed("oidc-token-unreadable", f"{path} is not JSON with field "
                          f"{fmt.get('subject_token_field_name')}", {"path": path})
    ctx.secret(token, raw.strip())
    claims = jwt_claims(token)
    if claims is None:
        return failed("oidc-token-unreadable", f"{path} does not hold a JWT", {"path": path, "length": len(token)})
    evidence = {"path": path, "token": token_facts(token, claims)}
    exp = claims.get("exp")
    now = ctx.clock()
    if isinstance(exp, (int, float)) and exp < now:
        return failed("oidc-token-expired", f"the token expired {now - exp:.0f} s ago", evidence)
    return passed(f"a token for {claims.get('sub')} from {claims.get('iss')}", evidence,
                  provide={"eks_to_gcp:token": token, "eks_to_gcp:claims": claims})
