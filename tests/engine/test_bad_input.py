"""Every bad input exits 2 with ONE line on stderr naming the field (or flag) and the expected form;
a fuzz of the spec loader through `xwiz plan` never produces a traceback."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wizard.cli.main import cli

GOOD = {
    "gcp": {"project": "xwiz-sandbox", "pool": "aws-pool"},
    "aws_to_gcp": [{"account_id": "111122223333", "provider": "aws-workload",
                    "roles": ["xwiz-ec2-app", "arn:aws:iam::111122223333:role/team/worker"],
                    "service_account": "app-runner@xwiz-sandbox.iam.gserviceaccount.com",
                    "grant_roles": ["roles/storage.objectViewer"]}],
    "eks_to_gcp": [{"cluster": "xwiz-demo", "region": "us-east-1", "provider": "eks-demo",
                    "kubernetes_service_accounts": ["apps/billing"]}],
}


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(value)


def to_toml(spec: dict) -> str:
    lines = []
    for key, value in spec.items():
        if isinstance(value, dict):
            lines.append(f"[{key}]")
            lines += [f"{k} = {_toml_value(v)}" for k, v in value.items()]
        else:
            for entry in value:
                lines.append(f"[[{key}]]")
                lines += [f"{k} = {_toml_value(v)}" for k, v in entry.items()]
    return "\n".join(lines) + "\n"


def _with(section: str, field: str, value) -> dict:
    spec = json.loads(json.dumps(GOOD))
    target = spec[section] if section == "gcp" else spec[section][0]
    target[field] = value
    return spec


def run(args, tmp_path, env=None):
    # no sandbox and no credentials: every case here must be refused before any cloud call
    return CliRunner().invoke(cli, args, env={"XWIZ_SANDBOX": None, "GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent",
                                              **(env or {})})


def assert_one_line(result, *needles: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


BAD_SPEC_VALUES = [
    ("gcp", "project", "My_Project", "gcp.project"),
    ("gcp", "project", 123, "gcp.project"),
    ("gcp", "project_number", "12ab", "gcp.project_number"),
    ("gcp", "pool", "gcp-pool", "gcp.pool"),
    ("gcp", "pool", "ab", "gcp.pool"),
    ("gcp", "location", "us-east1", "gcp.location"),
    ("gcp", "pool_display_name", "x" * 40, "gcp.pool_display_name"),
    ("gcp", "colour", "blue", "colour"),
    ("aws_to_gcp", "account_id", "12345", "aws_to_gcp[0].account_id"),
    ("aws_to_gcp", "account_id", 111122223333, "aws_to_gcp[0].account_id"),
    ("aws_to_gcp", "provider", "Bad_Provider", "aws_to_gcp[0].provider"),
    ("aws_to_gcp", "roles", [], "aws_to_gcp[0].roles"),
    ("aws_to_gcp", "roles", ["arn:aws:iam::111122223333:user/bob"], "aws_to_gcp[0].roles"),
    ("aws_to_gcp", "roles", ["arn:aws:iam::444455556666:role/x"], "aws_to_gcp[0].roles"),
    ("aws_to_gcp", "roles", ["bad role!"], "aws_to_gcp[0].roles"),
    ("aws_to_gcp", "partition", "aws-mars", "aws_to_gcp[0].partition"),
    ("aws_to_gcp", "service_account", "not-an-email", "aws_to_gcp[0].service_account"),
    ("aws_to_gcp", "create_service_account", "yes", "aws_to_gcp[0].create_service_account"),
    ("aws_to_gcp", "grant_roles", ["storage.objectViewer"], "aws_to_gcp[0].grant_roles"),
    ("aws_to_gcp", "credential_config", "", "aws_to_gcp[0].credential_config"),
    ("aws_to_gcp", "imdsv2", "on", "aws_to_gcp[0].imdsv2"),
    ("aws_to_gcp", "token_lifetime", 60, "aws_to_gcp[0].token_lifetime"),
    ("aws_to_gcp", "token_lifetime", 99999, "aws_to_gcp[0].token_lifetime"),
    ("aws_to_gcp", "attribute_condition", "assertion.arn.startsWith(", "aws_to_gcp[0].attribute_condition"),
    ("aws_to_gcp", "audit_logs", 1, "aws_to_gcp[0].audit_logs"),
    ("aws_to_gcp", "role", ["x"], "role"),
    ("eks_to_gcp", "cluster", "bad cluster", "eks_to_gcp[0].cluster"),
    ("eks_to_gcp", "region", "mars-1", "eks_to_gcp[0].region"),
    ("eks_to_gcp", "issuer", "http://oidc.example.com", "eks_to_gcp[0].issuer"),
    ("eks_to_gcp", "provider", "gcp-eks", "eks_to_gcp[0].provider"),
    ("eks_to_gcp", "allowed_audiences", [], "eks_to_gcp[0].allowed_audiences"),
    ("eks_to_gcp", "kubernetes_service_accounts", ["billing"], "eks_to_gcp[0].kubernetes_service_accounts"),
    ("eks_to_gcp", "kubernetes_service_accounts", ["Apps/x"], "eks_to_gcp[0].kubernetes_service_accounts"),
    ("eks_to_gcp", "token_path", "/var/run/tok\x00en", "eks_to_gcp[0].token_path"),
    ("eks_to_gcp", "token_lifetime", "1h", "eks_to_gcp[0].token_lifetime"),
]


@pytest.mark.parametrize("command", ["plan", "apply", "export"])
@pytest.mark.parametrize("section,field,value,named", BAD_SPEC_VALUES,
                         ids=[f"{s}.{f}={str(v)[:20]}" for s, f, v, _ in BAD_SPEC_VALUES])
def test_bad_spec_values_exit_2_with_one_line(tmp_path, command, section, field, value, named):
    path = tmp_path / "xwiz.toml"
    path.write_text(to_toml(_with(section, field, value)))
    extra = {"apply": ["--auto-approve"], "export": ["--format", "shell"]}.get(command, [])
    result = run([command, "-f", str(path), *extra], tmp_path)
    assert_one_line(result, named, f"{path}:")
    assert "expected" in result.stderr or "did you mean" in result.stderr


BAD_FLAGS = [
    (["plan", "--output", "xml"], "--output"),
    (["plan", "--bogus"], "--bogus"),
    (["apply", "--concurrency", "0"], "--concurrency"),
    (["apply", "--concurrency", "many"], "--concurrency"),
    (["apply", "--wait", "-1"], "--wait"),
    (["export"], "--format"),
    (["export", "--format", "pulumi"], "--format"),
    (["export", "--format", "shell", "--all", "--project-number", "my-project"], "--project-number"),
    (["init", "--direction", "sideways"], "--direction"),
    (["init", "--project", "X"], "--project"),
    (["init", "--project", "p-123456", "--workload-identity-pool", "gcp-x"], "--workload-identity-pool"),
    (["init", "--project", "p-123456", "--workload-identity-pool", "pool-1", "--provider", "p", "--account-id", "12"],
     "--account-id"),
    (["init", "--project", "p-123456", "--workload-identity-pool", "pool-1", "--provider", "prov-1",
      "--account-id", "111122223333", "--role-arn", "arn:aws:iam::111122223333:user/u"], "--role-arn"),
    (["init", "--project", "p-123456", "--workload-identity-pool", "pool-1", "--provider", "prov-1",
      "--account-id", "111122223333", "--role-arn", "app", "--service-account", "nope"], "--service-account"),
    (["init", "--project", "p-123456", "--workload-identity-pool", "pool-1", "--provider", "prov-1",
      "--account-id", "111122223333", "--role-arn", "app", "--service-account", "app-sa@p-123456.iam.gserviceaccount.com",
      "--grant-role", "viewer"], "--grant-role"),
    (["init", "--direction", "eks-to-gcp", "--project", "p-123456", "--workload-identity-pool", "pool-1",
      "--provider", "prov-1", "--cluster", "c", "--region", "us-east-1", "--kubernetes-service-account", "x"],
     "--kubernetes-service-account"),
    (["init", "--direction", "eks-to-gcp", "--project", "p-123456", "--workload-identity-pool", "pool-1",
      "--provider", "prov-1", "--issuer-uri", "ftp://x", "--kubernetes-service-account", "a/b"], "--issuer-uri"),
    (["init", "--direction", "gcp-to-aws", "--project", "p-123456", "--service-account",
      "app-sa@p-123456.iam.gserviceaccount.com", "--account-id", "111122223333", "--role-name", "bad role",
      "--audience", "x"], "--role-name"),
    (["init", "--direction", "gcp-to-aws", "--project", "p-123456", "--service-account",
      "app-sa@p-123456.iam.gserviceaccount.com", "--account-id", "111122223333", "--role-name", "r",
      "--audience", "x", "--policy-arn", "ReadOnly"], "--policy-arn"),
]


@pytest.mark.parametrize("args,named", BAD_FLAGS, ids=[" ".join(a)[:50] for a, _ in BAD_FLAGS])
def test_bad_flags_exit_2_with_one_line(tmp_path, monkeypatch, args, named):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "xwiz.toml").write_text(to_toml(GOOD))
    result = run(args, tmp_path)
    assert_one_line(result, named)
    assert not (tmp_path / "xwiz.toml").read_text() != to_toml(GOOD)  # nothing was written over


def test_missing_spec_file_is_one_line(tmp_path):
    assert_one_line(run(["plan", "-f", str(tmp_path / "none.toml")], tmp_path), "does not exist", "xwiz init")


# -- fuzz ------------------------------------------------------------------------------------
_scalars = st.one_of(st.text(max_size=40), st.integers(-10**15, 10**15), st.booleans(),
                     st.floats(allow_nan=False, allow_infinity=False))
_values = st.one_of(_scalars, st.lists(_scalars, max_size=3))
_FIELDS = [(s, f) for s, f, _, _ in BAD_SPEC_VALUES]


@st.composite
def mutated_specs(draw) -> str:
    spec = json.loads(json.dumps(GOOD))
    for _ in range(draw(st.integers(1, 3))):
        section, field = draw(st.sampled_from(_FIELDS))
        target = spec[section] if section == "gcp" else spec[section][0]
        if draw(st.booleans()):
            target.pop(field, None)
        else:
            target[field] = draw(_values)
    text = to_toml(spec)
    if draw(st.integers(0, 9)) == 0:  # sometimes mangle the TOML itself
        cut = draw(st.integers(0, len(text)))
        text = text[:cut] + draw(st.text(max_size=10)) + text[cut:]
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=mutated_specs())
def test_fuzzed_specs_never_traceback(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("fuzz") / "FUZZ.toml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    # --sandbox-file to a missing file: a *valid* spec stops at the endpoints with its own exit 2
    result = CliRunner().invoke(cli, ["plan", "-f", str(path), "--sandbox-file", str(path) + ".missing.json"])
    assert result.exit_code == 2, (result.exit_code, result.output, text)
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
