"""Doctor wall time against the minimal hand-written exchange chain, both under the same injected
latency, measured side by side in one run (goal: doctor ≤ 1.2× the chain while running every check).

    python bench/doctor_latency.py [--latency-ms 50] [--runs 7]

AWS → Google Cloud: the chain is google-auth's own `aws.Credentials.refresh()` on the credential
configuration `xwiz apply` wrote (IMDSv2, STS, generateAccessToken); the doctor runs every
`aws_to_gcp` and `config` check. Google Cloud → AWS: the chain is a metadata-server ID token plus
boto3 `AssumeRoleWithWebIdentity`; the doctor runs every `gcp_to_aws` and `config` check.
Both sides build their clients afresh each run (as a new process would); imports are warm on both
sides (import cost is `bench/cli_cold_start.py`'s subject). Runs alternate chain/doctor so drift
in the machine's load hits both equally; the median of each is compared.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOAL = 1.2
SPEC = """
[gcp]
project = "xwiz-sandbox"
pool = "aws-pool"

[[aws_to_gcp]]
account_id = "111122223333"
provider = "aws-workload"
roles = ["xwiz-ec2-app"]
service_account = "app-runner@xwiz-sandbox.iam.gserviceaccount.com"
create_service_account = true

[[gcp_to_aws]]
service_account = "gce-workload@xwiz-sandbox.iam.gserviceaccount.com"
account_id = "111122223333"
role_name = "gcp-app"
audience = "gcp-app"
"""


def setup(sb, directory: Path):
    from wizard.cloud.endpoints import Endpoints
    from wizard.engine.applier import Applier
    from wizard.engine.planner import Planner
    from wizard.model.spec import loads_spec
    from wizard.services import Services

    spec = loads_spec(SPEC)
    services = Services(Endpoints.from_sandbox(sb.endpoints))
    planner = Planner(services, spec, directory)
    result = Applier(services, planner).apply(planner.plan(), on_event=lambda e: None)
    assert result.ok, result
    return spec


def chain_aws_to_gcp(config: dict) -> None:
    import google.auth.aws
    from google.auth.transport.requests import Request

    creds = google.auth.aws.Credentials.from_info(config, scopes=["https://www.googleapis.com/auth/cloud-platform"])
    creds.refresh(Request())
    assert creds.token


def chain_gcp_to_aws(sb) -> None:
    import boto3
    import requests
    from botocore import UNSIGNED
    from botocore.config import Config

    host = sb.endpoints["gcp"]["metadata_host"]
    token = requests.get(f"http://{host}/computeMetadata/v1/instance/service-accounts/default/identity",
                         params={"audience": "gcp-app", "format": "full"},
                         headers={"Metadata-Flavor": "Google"}).text
    sts = boto3.client("sts", endpoint_url=sb.endpoints["aws"]["endpoint_url"], region_name="us-east-1",
                       config=Config(signature_version=UNSIGNED))
    out = sts.assume_role_with_web_identity(RoleArn="arn:aws:iam::111122223333:role/gcp-app",
                                            RoleSessionName="bench", WebIdentityToken=token)
    assert out["Credentials"]["AccessKeyId"]


def doctor(sb, spec, directory: Path, direction: str) -> None:
    from checks import registry
    from checks.context import Context, inputs_from_spec
    from checks.runner import run
    from wizard.cloud.endpoints import Endpoints
    from wizard.services import Services

    services = Services(Endpoints.from_sandbox(sb.endpoints))
    inputs = inputs_from_spec(spec, directory, services=services).only(direction)
    report = run(registry.select(inputs.directions), Context(services, inputs, environ={}, home=directory))
    bad = [(r.id, r.status, r.summary) for r in report.results if r.status in ("fail", "error", "warn")]
    assert not bad, bad
    assert not [r for r in report.results if r.status == "skip" and r.summary.startswith("blocked")]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    from wizard.sandbox import Sandbox

    directory = Path(tempfile.mkdtemp())
    sb = Sandbox.start(directory=directory / "sandbox")
    try:
        spec = setup(sb, directory)
        config = json.loads((directory / "credentials-aws-workload.json").read_text())
        sb.set_knobs(latency_ms=args.latency_ms)
        cases = {
            "aws-to-gcp": (lambda: chain_aws_to_gcp(config), lambda: doctor(sb, spec, directory, "aws-to-gcp")),
            "gcp-to-aws": (lambda: chain_gcp_to_aws(sb), lambda: doctor(sb, spec, directory, "gcp-to-aws")),
        }
        worst = 0.0
        for name, (chain, diag) in cases.items():
            chain(), diag()  # warm imports and the sandbox's own caches
            chain_s, doctor_s = [], []
            for _ in range(args.runs):
                chain_s.append(timed(chain))
                doctor_s.append(timed(diag))
            c, d = statistics.median(chain_s), statistics.median(doctor_s)
            ratio = d / c
            worst = max(worst, ratio)
            print(f"{name}: chain median {c * 1000:.0f} ms, doctor (every check) median {d * 1000:.0f} ms, "
                  f"ratio {ratio:.2f}  [latency {args.latency_ms} ms per request, {args.runs} runs each]")
        print(f"goal doctor <= {GOAL}x chain: {'met' if worst <= GOAL else 'NOT met'} (worst {worst:.2f}x)")
        return 0 if worst <= GOAL else 1
    finally:
        sb.stop()


if __name__ == "__main__":
    sys.exit(main())
