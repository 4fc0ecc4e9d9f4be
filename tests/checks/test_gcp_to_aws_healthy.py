from __future__ import annotations

from .conftest import ACCOUNT, G2A_ROLE, GCE_SA, assert_healthy, by_id


def test_healthy_google_to_aws_setup_reports_no_fail_and_no_warn(g2a_setup, doctor):
    code, report = doctor()
    assert_healthy(report)
    assert code == 0
    checks = by_id(report)
    assert checks["gcp_to_aws.id_token"]["evidence"]["source"] == "metadata server"
    assert checks["gcp_to_aws.caller_identity"]["evidence"]["arn"].startswith(
        f"arn:aws:sts::{ACCOUNT}:assumed-role/{G2A_ROLE}/")


def test_flags_alone_diagnose_google_to_aws(g2a_setup, doctor, tmp_path):
    (tmp_path / "xwiz.toml").unlink()
    code, report = doctor("--role-arn", f"arn:aws:iam::{ACCOUNT}:role/{G2A_ROLE}", "--service-account", GCE_SA,
                          "--audience", G2A_ROLE)
    assert_healthy(report)
    assert {c["id"].split(".")[0] for c in report["checks"]} == {"config", "gcp_to_aws"}
