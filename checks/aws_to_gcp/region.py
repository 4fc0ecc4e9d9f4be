from __future__ import annotations

from checks.aws_steps import credential_source, imds_region
from checks.context import Context
from checks.spec import Outcome, check, failed, passed, skipped
from wizard.model.errors import CloudError


@check("aws_to_gcp.region", "Resolve the AWS region the subject token is signed for",
       provides=("aws_to_gcp:region",), timeout_s=15, causes=("region-unresolved",), live=True)
def region(ctx: Context) -> Outcome:
    """What it checks: the region google-auth signs the GetCallerIdentity request for, and where it comes
    from: AWS_REGION, then AWS_DEFAULT_REGION, then the configuration's region_url (the instance's
    availability zone minus its letter).

    Why it fails: none of them is available ('Unable to determine AWS region'); a region from the
    environment that is not the workload's own makes Google STS verify against the wrong regional
    endpoint (M17).

    How to fix: export AWS_REGION, or restore region_url in the configuration.
    """
    if ctx.what_if:
        return skipped("what-if mode: no AWS region is needed", blocks=False)
    for var in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        value = ctx.environ.get(var)
        if value:
            return passed(f"{value} from {var}", {"region": value, "source": var},
                          provide={"aws_to_gcp:region": value})
    source = credential_source(ctx)
    region_url = source.get("region_url")
    if not region_url:
        return failed("region-unresolved", "AWS_REGION and AWS_DEFAULT_REGION are unset and the configuration has "
                      "no region_url: google-auth cannot determine the AWS region", {"source": None},
                      fix={"region": ctx.services.endpoints.aws.region})
    token = None
    if source.get("imdsv2_session_token_url"):
        try:
            token = ctx.services.workload.imds_session_token(source["imdsv2_session_token_url"])
            ctx.secret(token)
        except CloudError:
            token = None
    try:
        value, status = imds_region(ctx, region_url, token)
        if value is None and status == 401 and token is None:
            # IMDSv2 required and not configured: aws_credentials names that; read the region anyway
            token = ctx.services.workload.imds_session_token(region_url.split("/latest/", 1)[0] + "/latest/api/token")
            ctx.secret(token)
            value, status = imds_region(ctx, region_url, token)
    except CloudError as e:
        return failed("region-unresolved", f"the region could not be read from {region_url}: {e.message}",
                      {"region_url": region_url, "error": e.message})
    if not value:
        return failed("region-unresolved", f"{region_url} answered HTTP {status}",
                      {"region_url": region_url, "status": status})
    return passed(f"{value} from the instance's availability zone", {"region": value, "source": "region_url",
                                                                     "region_url": region_url},
                  provide={"aws_to_gcp:region": value})
