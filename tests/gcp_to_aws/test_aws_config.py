"""The AWS config profile writer: merges our profile, keeps everything else byte for byte."""

from __future__ import annotations

import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wizard.runtime import aws_config

SETTINGS = {"credential_process": "xwiz aws-credentials --role-arn arn:aws:iam::111122223333:role/r --audience a"}
OTHERS = """# managed by hand
[default]
region = eu-west-1
output = json

[profile ops]
role_arn = arn:aws:iam::444455556666:role/ops
source_profile = default
s3 =
  max_concurrent_requests = 20

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
"""


def test_new_profile_is_appended_and_nothing_else_moves():
    edit = aws_config.merge_profile(OTHERS, "gcp-app", SETTINGS)
    assert edit.created and edit.changed
    assert edit.text.startswith(OTHERS)
    assert edit.text.endswith(f"\n[profile gcp-app]\ncredential_process = {SETTINGS['credential_process']}\n")
    assert aws_config.read_profile(edit.text, "gcp-app") == SETTINGS
    again = aws_config.merge_profile(edit.text, "gcp-app", SETTINGS)
    assert not again.changed and again.text == edit.text


def test_existing_xwiz_profile_is_updated_in_place_keeping_its_other_keys():
    text = OTHERS + "\n[profile gcp-app]\ncredential_process = xwiz aws-credentials --role-arn old\nregion = us-west-2\n"
    edit = aws_config.merge_profile(text, "gcp-app", SETTINGS)
    assert not edit.created and edit.changed
    assert aws_config.read_profile(edit.text, "gcp-app") == {**SETTINGS, "region": "us-west-2"}
    assert edit.text.startswith(OTHERS)
    assert edit.diff == ("-credential_process = xwiz aws-credentials --role-arn old",
                         f"+credential_process = {SETTINGS['credential_process']}")


def test_default_profile_uses_the_default_section():
    edit = aws_config.merge_profile("", "default", SETTINGS)
    assert edit.text.startswith("[default]\n")
    text = "[default]\nregion = eu-west-1\n[profile x]\nregion = us-east-1\n"
    merged = aws_config.merge_profile(text, "default", SETTINGS).text
    assert merged == ("[default]\nregion = eu-west-1\ncredential_process = " + SETTINGS["credential_process"]
                      + "\n[profile x]\nregion = us-east-1\n")


@pytest.mark.parametrize("line", ["aws_access_key_id = AKIAEXAMPLE", "role_arn = arn:aws:iam::1:role/x",
                                  "sso_session = corp", "credential_process = /usr/bin/other-helper"])
def test_a_profile_with_other_credentials_is_not_taken_over_without_force(line):
    text = f"[profile gcp-app]\n{line}\naws_secret_access_key = SECRETVALUE\n"
    with pytest.raises(aws_config.ProfileConflict):
        aws_config.merge_profile(text, "gcp-app", SETTINGS)
    forced = aws_config.merge_profile(text, "gcp-app", SETTINGS, force=True)
    assert aws_config.read_profile(forced.text, "gcp-app") == SETTINGS
    assert all("SECRETVALUE" not in d for d in forced.diff)
    assert "-aws_secret_access_key = ****" in forced.diff


def test_write_keeps_a_backup_and_the_mode(tmp_path):
    path = tmp_path / "aws" / "config"
    aws_config.write_profile("gcp-app", SETTINGS, path=path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert not (tmp_path / "aws" / "config.bak").exists()
    path.write_text(OTHERS + path.read_text())
    path.chmod(0o640)
    before = path.read_text()
    outcome = aws_config.write_profile("gcp-app", {"credential_process": SETTINGS["credential_process"] + " x"},
                                       path=path)
    assert "previous file kept as config.bak" in outcome
    assert (tmp_path / "aws" / "config.bak").read_text() == before
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert aws_config.write_profile("gcp-app", {"credential_process": SETTINGS["credential_process"] + " x"},
                                    path=path).endswith("is up to date")


def test_shadowing_keys_in_the_credentials_file_are_noticed(tmp_path):
    creds = tmp_path / "credentials"
    creds.write_text("[gcp-app]\naws_access_key_id = AKIA\naws_secret_access_key = s\n[other]\n")
    env = {"AWS_SHARED_CREDENTIALS_FILE": str(creds)}
    assert aws_config.shadowing_credentials("gcp-app", env)
    assert not aws_config.shadowing_credentials("other", env)


names = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,12}", fullmatch=True)
values = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20)


@st.composite
def config_files(draw):
    sections = []
    for name in draw(st.lists(names, max_size=5, unique=True)):
        header = "[default]" if name == "default" else f"[profile {name}]"
        body = [f"{k} = {v}" for k, v in draw(st.dictionaries(st.sampled_from(["region", "output", "role_arn",
                                                                                 "source_profile", "s3"]),
                                                                values, max_size=3)).items()]
        if draw(st.booleans()):
            body.insert(0, "# " + draw(values))
        sections.append("\n".join([header, *body]))
    return "\n\n".join(sections) + ("\n" if sections else "")


@settings(max_examples=200, deadline=None)
@given(text=config_files(), profile=names)
def test_merging_one_profile_never_changes_another(text, profile):
    try:
        edit = aws_config.merge_profile(text, profile, SETTINGS)
    except aws_config.ProfileConflict:
        return
    assert aws_config.read_profile(edit.text, profile)["credential_process"] == SETTINGS["credential_process"]
    for other in {line[9:-1] for line in text.splitlines() if line.startswith("[profile ")} | (
            {"default"} if "[default]" in text else set()):
        if other != profile:
            assert aws_config.read_profile(edit.text, other) == aws_config.read_profile(text, other)
    assert aws_config.merge_profile(edit.text, profile, SETTINGS).changed is False
