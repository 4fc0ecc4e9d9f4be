from __future__ import annotations

from checks.aws_steps import credential_source, env_credentials, other_sources, probe_imds
from checks.context import Context
from checks.spec import Outcome, check, failed, passed, skipped
from wizard.model.errors import CloudError


@check("aws_to_gcp.aws_credentials", "Find the AWS credentials google-auth will sign with",
       provides=("aws_to_gcp:aws_credentials", "aws_to_gcp:imds_token"), timeout_s=20,
       causes=("aws-credentials-missing", "imdsv2-required"), live=True)
def aws_credentials(ctx: Context) -> Outcome:
    """What it checks: where google-auth's AWS source gets credentials on this host — the environment
    (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY[/AWS_SESSION_TOKEN]) first, else the EC2 instance metadata
    service at the configuration's `url` — and whether the instance requires IMDSv2 (a PUT to
    /latest/api/token and a token-less GET, side by side).

    Why it fails: no environment keys and no instance metadata service (ECS/Fargate, EKS, a laptop with
    profiles: google-auth reads none of those — M15); IMDSv2 required (HttpTokens=required) while the
    configuration has no imdsv2_session_token_url, so google-auth gets 401 and 'Unable to retrieve AWS
    role name' (M13).

    How to fix: regenerate the configuration with --enable-imdsv2; give the instance a role; on
    containers use xwiz's boto3-backed supplier.
    """
    if ctx.what_if:
        return skipped("what-if mode: no AWS credentials are used", blocks=False)
    env = env_credentials(ctx.environ)
    if env is not None:
        ctx.secret(*env.secrets())
        shadowed = other_sources(ctx)
        evidence = {"source": "environment", **env.redacted()}
        if shadowed:
            evidence["also_present"] = shadowed
        return passed("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set: google-auth uses them and never asks "
                      "the instance metadata service", evidence, provide={"aws_to_gcp:aws_credentials": env})
    source = credential_source(ctx)
    url = source.get("url")
    others = other_sources(ctx)
    if not url:
        return failed("aws-credentials-missing", "no AWS credentials in the environment and the configuration has no "
                      "credential_source.url (instance metadata)", {"source": None, "other_sources": others})
    probe = probe_imds(ctx, source)
    uses_v2 = bool(source.get("imdsv2_session_token_url"))
    evidence = {"imds_url": url, "imdsv2_token": probe["token"] is not None,
                "tokenless_status": probe["tokenless_status"], "configuration_uses_imdsv2": uses_v2}
    if probe["token"] is None and probe["tokenless_status"] is None:
        return failed("aws-credentials-missing", f"no AWS credentials in the environment and no instance metadata "
                      f"service at {url}" + (f" (found {', '.join(others)}, which google-auth's AWS source does not "
                                             "read)" if others else ""),
                      {**evidence, "error": probe["get_error"], "other_sources": others})
    required = probe["tokenless_status"] == 401 and probe["token"] is not None
    evidence["imdsv2_required"] = required
    if required and not uses_v2:
        return failed("imdsv2-required", "the instance requires IMDSv2 (a request without a session token gets "
                      "401) but the configuration has no imdsv2_session_token_url: google-auth fails with "
                      "'Unable to retrieve AWS role name'", evidence)
    token = probe["token"] if uses_v2 else None
    try:
        role, creds = ctx.services.workload.imds_credentials(url, token)
    except CloudError as e:
        return failed("aws-credentials-missing", f"the instance metadata service has no role credentials: "
                      f"{e.message}", {**evidence, "error": e.message, "other_sources": others})
    ctx.secret(*creds.secrets())
    version = "IMDSv2" if token else "IMDSv1"
    note = " (required by the instance)" if required else ""
    return passed(f"instance role {role} via {version}{note}",
                  {**evidence, "source": f"instance metadata ({version})", "role": role, **creds.redacted()},
                  provide={"aws_to_gcp:aws_credentials": creds, "aws_to_gcp:imds_token": probe["token"]})
