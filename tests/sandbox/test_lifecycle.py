"""`xwiz sandbox up/down/env` as a user runs them: a real background process, real ports."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

XWIZ = [sys.executable, "-m", "wizard.cli.main"]


def _listening_ports(pid: int) -> set[tuple[str, int]]:
    """(address, port) of the TCP sockets a process listens on, read from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            parts = line.split()
            local, state, inode = parts[1], parts[3], parts[9]
            if state != "0A" or inode not in inodes:  # 0A = LISTEN
                continue
            addr_hex, port_hex = local.split(":")
            if len(addr_hex) == 8:
                addr = socket.inet_ntoa(bytes.fromhex(addr_hex)[::-1])
            else:
                addr = addr_hex
            found.add((addr, int(port_hex, 16)))
    return found


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
def test_up_env_down_leaves_no_process_and_no_port(tmp_path):
    sbdir = tmp_path / "sb"
    up = subprocess.run([*XWIZ, "sandbox", "up", "--dir", str(sbdir), "--latency-ms", "5"],
                        capture_output=True, text=True, timeout=90)
    assert up.returncode == 0, up.stderr
    assert "export XWIZ_SANDBOX=" in up.stdout
    endpoints = json.loads((sbdir / "endpoints.json").read_text())
    pid = int((sbdir / "sandbox.pid").read_text())
    try:
        # every listener binds loopback only
        listening = _listening_ports(pid)
        assert listening, "the sandbox process listens on nothing"
        assert all(addr == "127.0.0.1" for addr, _ in listening), listening
        ports = {port for _, port in listening}
        assert requests.get(endpoints["control_url"] + "/", timeout=5).json()["knobs"]["latency_ms"] == 5.0

        # a second `up` in the same directory refuses, naming the running pid
        again = subprocess.run([*XWIZ, "sandbox", "up", "--dir", str(sbdir)], capture_output=True, text=True,
                               timeout=30)
        assert again.returncode == 2
        assert f"pid {pid}" in again.stderr

        env = subprocess.run([*XWIZ, "sandbox", "env", "--dir", str(sbdir)], capture_output=True, text=True,
                             timeout=30)
        assert env.returncode == 0
        assert f"export AWS_ENDPOINT_URL={endpoints['aws']['endpoint_url']}" in env.stdout
        assert f"export GCE_METADATA_HOST={endpoints['gcp']['metadata_host']}" in env.stdout
        assert "XWIZ_SANDBOX=" in env.stdout
    finally:
        down = subprocess.run([*XWIZ, "sandbox", "down", "--dir", str(sbdir)], capture_output=True, text=True,
                              timeout=60)
    assert down.returncode == 0, down.stderr
    assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
    time.sleep(0.1)
    assert not any(_port_open(p) for p in ports)
    assert not (sbdir / "endpoints.json").exists()
    # down again is harmless
    again = subprocess.run([*XWIZ, "sandbox", "down", "--dir", str(sbdir)], capture_output=True, text=True,
                           timeout=30)
    assert again.returncode == 0 and "No sandbox is running" in again.stdout


def test_env_without_a_sandbox_is_a_clear_usage_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "XWIZ_SANDBOX"}
    out = subprocess.run([*XWIZ, "sandbox", "env", "--dir", str(tmp_path)], capture_output=True, text=True,
                         timeout=30, env=env)
    assert out.returncode == 2
    assert "does not exist" in out.stderr and "xwiz sandbox up" in out.stderr
    assert "Traceback" not in out.stderr


def test_bad_knob_flag_is_a_usage_error(tmp_path):
    out = subprocess.run([*XWIZ, "sandbox", "up", "--dir", str(tmp_path), "--fault-rate", "2"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2
    assert "--fault-rate" in out.stderr
