"""Shared set-up for onboarding tests: a federation applied with the engine, and account lists."""

from __future__ import annotations

from pathlib import Path

from wizard.cloud.endpoints import Endpoints
from wizard.engine.applier import Applier
from wizard.engine.planner import Planner
from wizard.model.onboarding import AccountRequest
from wizard.model.spec import load_spec
from wizard.services import Services

SA = "onboard-sa@xwiz-sandbox.iam.gserviceaccount.com"
POOL = "aws-pool"
BASE_SPEC = f"""# our federation: keep this comment
[gcp]
project = "xwiz-sandbox"
pool = "{POOL}"

[[aws_to_gcp]]
account_id = "111122223333"
provider = "aws-workload"   # the first account
roles = ["xwiz-ec2-app"]
service_account = "{SA}"
create_service_account = true
"""


def services_for(sb) -> Services:
    return Services(Endpoints.from_sandbox(sb.endpoints))


def apply_base(sb, directory: Path) -> Path:
    """Write xwiz.toml and apply it: the pool, one provider, the service account and its binding."""
    path = directory / "xwiz.toml"
    path.write_text(BASE_SPEC)
    spec = load_spec(path)
    services = services_for(sb)
    planner = Planner(services, spec, directory)
    result = Applier(services, planner).apply(planner.plan())
    assert result.ok, result.failed
    return path


def account_ids(n: int, start: int = 0) -> list[str]:
    return [f"{700000000000 + start + i:012d}" for i in range(n)]


def requests(n: int, roles=("app",), start: int = 0) -> list[AccountRequest]:
    return [AccountRequest(a, tuple(roles)) for a in account_ids(n, start)]


def pool_state(services: Services) -> tuple[dict, list]:
    """What a user would compare: providers (id → account, state, condition) and the SA's members."""
    gcp = services.gcp
    providers = {p["name"].rsplit("/", 1)[-1]: (p.get("aws", {}).get("accountId"), p.get("state"),
                                                 p.get("attributeCondition"))
                 for p in gcp.list_providers("xwiz-sandbox", POOL, show_deleted=True)}
    policy = gcp.get_service_account_policy(SA)
    members = sorted(m for b in policy.get("bindings", []) for m in b.get("members", []))
    return providers, members


def organizations_client(sb):
    """boto3 Organizations with the sandbox's admin keys (the management account)."""
    import boto3

    ep = sb.endpoints["aws"]
    return boto3.client("organizations", endpoint_url=ep["endpoint_url"], region_name=ep["region"],
                        aws_access_key_id=ep["admin"]["access_key_id"],
                        aws_secret_access_key=ep["admin"]["secret_access_key"])


def seed_org_accounts(sb, n: int, prefix: str = "team") -> list[str]:
    """Create n member accounts through the public Organizations API; returns their (random) IDs."""
    org = organizations_client(sb)
    out = []
    for i in range(n):
        status = org.create_account(Email=f"{prefix}-{i}@example.com", AccountName=f"{prefix}-{i}")
        out.append(status["CreateAccountStatus"]["AccountId"])
    return out
