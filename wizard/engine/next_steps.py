"""What to do after apply: how the workload uses what xwiz wrote."""

from __future__ import annotations

from pathlib import Path

from wizard.model.spec import FederationSpec


def alloydb_user(service_account: str) -> str:
    """AlloyDB / Cloud SQL IAM user name: the email without `.gserviceaccount.com` (cloud-facts M32)."""
    return service_account.removesuffix(".gserviceaccount.com")


def next_steps(spec: FederationSpec, base: Path) -> list[str]:
    from wizard.model import kubernetes

    from .planner import kubernetes_file

    lines: list[str] = []
    for entry in spec.aws_to_gcp:
        path = Path(entry.credential_config)
        shown = path if path.is_absolute() else (base / path)
        lines.append("")
        lines.append(f"Next steps for provider {entry.provider}:")
        lines.append(f"  copy {shown} to the workload (it holds no secret), then on the workload:")
        lines.append(f"    export GOOGLE_APPLICATION_CREDENTIALS=/path/to/{path.name}")
        lines.append(f"    gcloud auth login --cred-file=/path/to/{path.name}")
        lines.append("  on ECS/Fargate, or with AWS profiles/SSO, use wizard.runtime.aws_supplier.BotoSupplier "
                     "(google-auth's own AWS source only knows env keys and EC2 metadata)")
        _common(lines, entry, path)
    for entry in spec.eks_to_gcp:
        path = Path(entry.credential_config)
        k8s = Path(kubernetes_file(entry.credential_config))
        shown = k8s if k8s.is_absolute() else (base / k8s)
        lines.append("")
        lines.append(f"Next steps for provider {entry.provider} (EKS):")
        lines.append(f"  kubectl apply -f {shown}    # a Secret with the credential configuration, per namespace")
        lines.append("  then merge into each pod template (also in that file, commented):")
        projected = entry.allowed_audiences[0] if entry.token_path == kubernetes.PROJECTED_TOKEN_PATH else None
        for ksa in entry.kubernetes_service_accounts:
            lines.append(f"  # {ksa.namespace}/{ksa.name}")
            lines.extend("    " + line for line in kubernetes.pod_snippet(ksa, projected_audience=projected).splitlines())
        _common(lines, entry, path)
    for entry in spec.gcp_to_aws:
        lines.append("")
        lines.extend(_gcp_to_aws(entry))
    return lines


def _gcp_to_aws(entry) -> list[str]:
    from wizard.runtime import aws_config
    from wizard.runtime.aws_credentials import credential_process_command

    from .verify import g2a_doctor_command, profile_command

    lines = [f"Next steps for role {entry.role_arn} (Google Cloud → AWS, as {entry.service_account}):"]
    if entry.profile:
        lines.append(f"  AWS profile {entry.profile} is in {aws_config.config_path()}; its credential_process runs "
                     f"xwiz aws-credentials, which caches the role's credentials until they expire")
        lines.append(f"  try it:  {profile_command(entry.profile)}")
        lines.append(f"  in code: boto3.Session(profile_name=\"{entry.profile}\"), or AWS_PROFILE={entry.profile} "
                     f"for any AWS SDK or the aws CLI")
        lines.append(f"  the ID token comes from the metadata server where {entry.service_account} is attached; "
                     f"elsewhere the credential_process has --service-account and mints it with generateIdToken "
                     f"through your Application Default Credentials, which need "
                     f"roles/iam.serviceAccountOpenIdTokenCreator on the account (xwiz apply granted it to the "
                     f"identity it ran as; project Owner is not enough)")
    else:
        command = credential_process_command(entry.role_arn, entry.audience, duration_s=entry.session_duration)
        lines.append("  no AWS profile was written (profile is not set); on the workload, add one whose")
        lines.append(f"    credential_process = {command}")
    lines.append(f"  check it: {g2a_doctor_command(entry)}")
    return lines


def _common(lines: list[str], entry, path: Path) -> None:
    if entry.service_account:
        lines.append(f"  AlloyDB / Cloud SQL IAM database user: {alloydb_user(entry.service_account)}")
    lines.append(f"  check it from the workload: xwiz doctor --cred-config /path/to/{path.name}")
