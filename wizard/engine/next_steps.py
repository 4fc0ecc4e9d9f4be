"""What to do after apply: how the workload uses what xwiz wrote."""

from __future__ import annotations

from pathlib import Path

from wizard.model.spec import FederationSpec


def alloydb_user(service_account: str) -> str:
    """AlloyDB / Cloud SQL IAM user name: the email without `.gserviceaccount.com` (cloud-facts M32)."""
    return service_account.removesuffix(".gserviceaccount.com")


def next_steps(spec: FederationSpec, base: Path) -> list[str]:
    lines: list[str] = []
    for entry in (*spec.aws_to_gcp, *spec.eks_to_gcp):
        path = Path(entry.credential_config)
        shown = path if path.is_absolute() else (base / path)
        lines.append("")
        lines.append(f"Next steps for provider {entry.provider}:")
        lines.append(f"  copy {shown} to the workload (it holds no secret), then on the workload:")
        lines.append(f"    export GOOGLE_APPLICATION_CREDENTIALS=/path/to/{path.name}")
        lines.append(f"    gcloud auth login --cred-file=/path/to/{path.name}")
        if entry.service_account:
            lines.append(f"  AlloyDB / Cloud SQL IAM database user: {alloydb_user(entry.service_account)}")
        lines.append(f"  check it from the workload: xwiz doctor --cred-config /path/to/{path.name}")
    return lines
