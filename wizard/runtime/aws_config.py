"""Write one profile into the AWS CLI config file (`~/.aws/config` or `$AWS_CONFIG_FILE`).

The file belongs to the user: xwiz edits the text of its own profile's section and nothing else.
Other profiles, comments, blank lines and key order stay byte for byte; keys of our profile that
xwiz does not set (`output`, `region`, …) are kept. A profile that already gets credentials some
other way (access keys, `role_arn`, SSO, another `credential_process`) is not taken over unless
forced, because botocore would pick one source silently. Every write keeps the previous file as
`config.bak` and replaces the file atomically with its mode kept (0600 for a new file).

Nothing here prints or returns a secret: diffs only show our profile's section, with secret
values masked.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

XWIZ_COMMAND = "xwiz aws-credentials"
# Keys that make botocore take credentials from somewhere other than credential_process (or
# ahead of it: role_arn and SSO come first in its chain).
CREDENTIAL_KEYS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token", "role_arn",
                   "source_profile", "credential_source", "web_identity_token_file", "sso_start_url",
                   "sso_session", "sso_account_id", "sso_role_name", "sso_region", "login_session")
_SECRET_KEY = re.compile(r"secret|session_token|access_key", re.IGNORECASE)
_HEADER = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]\s*(?:[#;].*)?$")
_KEY_LINE = re.compile(r"^([A-Za-z0-9_.-]+)\s*=\s*(.*?)\s*$")

# Steps of one apply write profiles from several threads; the file is one read-modify-write.
_WRITE_LOCK = threading.Lock()


class ProfileConflict(Exception):
    """The profile exists and gets its credentials some other way."""


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    configured = env.get("AWS_CONFIG_FILE")
    return Path(configured).expanduser() if configured else Path("~/.aws/config").expanduser()


def credentials_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    configured = env.get("AWS_SHARED_CREDENTIALS_FILE")
    return Path(configured).expanduser() if configured else Path("~/.aws/credentials").expanduser()


def section_names(profile: str) -> tuple[str, ...]:
    """The header names the AWS CLI accepts for a profile in the config file."""
    return ("default", "profile default") if profile == "default" else (f"profile {profile}",)


def _header_name(line: str) -> str | None:
    m = _HEADER.match(line)
    return " ".join(m.group(1).split()) if m else None


def _find_section(lines: list[str], names: tuple[str, ...]) -> tuple[int, int] | None:
    """(header index, end index) of the first section with one of `names`, else None."""
    for i, line in enumerate(lines):
        if _header_name(line) in names:
            end = i + 1
            while end < len(lines) and _header_name(lines[end]) is None:
                end += 1
            return i, end
    return None


def read_profile(text: str, profile: str) -> dict[str, str] | None:
    """The top-level keys of a profile's section, or None when the file has no such profile."""
    lines = text.splitlines()
    found = _find_section(lines, section_names(profile))
    if found is None:
        return None
    out: dict[str, str] = {}
    for line in lines[found[0] + 1:found[1]]:
        if line[:1].isspace():
            continue  # nested sub-section values (`s3 =` then indented keys)
        m = _KEY_LINE.match(line)
        if m:
            out[m.group(1).lower()] = m.group(2)
    return out


def conflicts(existing: Mapping[str, str] | None) -> list[str]:
    """Why an existing profile is not xwiz's to rewrite (empty: it is, or it does not exist)."""
    if not existing:
        return []
    found = [k for k in CREDENTIAL_KEYS if k in existing]
    process = existing.get("credential_process")
    if process is not None and not process.strip().startswith(XWIZ_COMMAND):
        found.insert(0, "credential_process (not xwiz's)")
    return found


@dataclass(frozen=True)
class ProfileEdit:
    text: str
    changed: bool
    created: bool
    """The section did not exist."""
    conflicts: tuple[str, ...]
    diff: tuple[str, ...]
    """Our section before → after; secret values masked."""


def merge_profile(text: str, profile: str, settings: Mapping[str, str], *, force: bool = False) -> ProfileEdit:
    """`text` with `profile` holding `settings`; every other line of the file as it was.

    Raises ProfileConflict when the profile gets credentials some other way and `force` is off;
    with `force`, those credential lines are removed from the profile.
    """
    lines = text.splitlines()
    names = section_names(profile)
    found = _find_section(lines, names)
    existing = read_profile(text, profile)
    clashes = conflicts(existing)
    if clashes and not force:
        raise ProfileConflict(f"profile {profile} already gets credentials from {', '.join(clashes)}")
    if found is None:
        block = [f"[{names[-1] if profile != 'default' else 'default'}]"]
        block += [f"{k} = {v}" for k, v in settings.items()]
        prefix = lines[:]
        if prefix and prefix[-1].strip():
            prefix.append("")
        new_lines = prefix + block
        new_text = "\n".join(new_lines) + "\n"
        diff = tuple(f"+ {line}" for line in block)
        return ProfileEdit(new_text, True, True, tuple(clashes), diff)

    start, end = found
    body = lines[start + 1:end]
    # keep trailing blank lines and comments after the last key where they are
    tail = len(body)
    while tail > 0 and (not body[tail - 1].strip()):
        tail -= 1
    new_body: list[str] = []
    remaining = dict(settings)
    drop = {k for k in CREDENTIAL_KEYS} | ({"credential_process"} if force else set())
    for line in body[:tail]:
        m = None if line[:1].isspace() else _KEY_LINE.match(line)
        key = m.group(1).lower() if m else None
        if key in remaining:
            new_body.append(f"{key} = {remaining.pop(key)}")
        elif key in drop and force:
            continue
        else:
            new_body.append(line)
    new_body += [f"{k} = {v}" for k, v in remaining.items()]
    new_lines = lines[:start + 1] + new_body + body[tail:] + lines[end:]
    new_text = "\n".join(new_lines) + ("\n" if text.endswith("\n") or not text else "")
    before = [_mask(line) for line in lines[start:start + 1] + body[:tail]]
    after = [_mask(line) for line in lines[start:start + 1] + new_body]
    diff = tuple(d.rstrip("\n") for d in difflib.unified_diff(before, after, "profile (now)", "profile (xwiz)",
                                                              n=0, lineterm="")
                 if not d.startswith(("---", "+++", "@@")))
    return ProfileEdit(new_text, new_text != text, False, tuple(clashes), diff)


def _mask(line: str) -> str:
    m = _KEY_LINE.match(line)
    if m and _SECRET_KEY.search(m.group(1)):
        return f"{m.group(1)} = ****"
    return line


def write_profile(profile: str, settings: Mapping[str, str], *, path: Path | None = None,
                  force: bool = False) -> str:
    """Merge the profile into the config file; returns what happened, one line."""
    path = path or config_path()
    with _WRITE_LOCK:
        text = path.read_text() if path.exists() else ""
        edit = merge_profile(text, profile, settings, force=force)
        if not edit.changed:
            return f"profile {profile} in {path} is up to date"
        backup = None
        if path.exists():
            backup = path.with_name(path.name + ".bak")
            shutil.copy2(path, backup)
            mode = path.stat().st_mode & 0o777
        else:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            mode = 0o600
        tmp = path.with_name(f".{path.name}.xwiz-{os.getpid()}-{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(edit.text)
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    verb = "wrote" if edit.created else "updated"
    return f"{verb} profile {profile} in {path}" + (f" (previous file kept as {backup.name})" if backup else "")


def shadowing_credentials(profile: str, environ: Mapping[str, str] | None = None) -> bool:
    """Does the shared credentials file hold keys for this profile? botocore reads them before credential_process."""
    path = credentials_path(environ)
    try:
        text = path.read_text()
    except OSError:
        return False
    lines = text.splitlines()
    found = _find_section(lines, (profile,))
    if found is None:
        return False
    return any(_KEY_LINE.match(line) and _KEY_LINE.match(line).group(1).lower() == "aws_access_key_id"
               for line in lines[found[0] + 1:found[1]])
