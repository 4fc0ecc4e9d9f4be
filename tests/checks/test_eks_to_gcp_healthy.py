from __future__ import annotations

from .conftest import assert_healthy, by_id


def test_healthy_eks_setup_reports_no_fail_and_no_warn(eks_setup, doctor):
    code, report = doctor()
    assert_healthy(report)
    assert code == 0
    checks = by_id(report)
    assert checks["eks_to_gcp.generate_access_token"]["status"] == "pass"
    token = checks["eks_to_gcp.token_file"]["evidence"]["token"]
    assert token["sub"] == "system:serviceaccount:apps:billing"
    assert token["aud"] == ["sts.amazonaws.com"] or token["aud"] == "sts.amazonaws.com"
    assert not any(c.startswith("aws_to_gcp.") for c in checks)
