from __future__ import annotations

from .conftest import assert_healthy, by_id


def test_healthy_setup_reports_no_fail_and_no_warn(aws_setup, doctor):
    code, report = doctor()
    assert_healthy(report)
    assert code == 0
    assert report["schema_version"] == 1
    checks = by_id(report)
    assert checks["aws_to_gcp.generate_access_token"]["status"] == "pass"
    assert checks["aws_to_gcp.caller_identity"]["evidence"]["arn"].startswith(
        "arn:aws:sts::111122223333:assumed-role/xwiz-ec2-app/")
    for c in report["checks"]:
        assert set(c) == {"id", "title", "status", "cause", "summary", "evidence", "remediation", "duration_ms"}


def test_text_output_names_every_check(aws_setup, doctor):
    code, text = doctor(output="text")
    assert code == 0
    assert "Exchange the AWS subject token at Google STS" in text
    assert "passed" in text
