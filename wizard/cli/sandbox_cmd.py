"""`xwiz sandbox up|down|serve|env`: the emulated clouds as a background or foreground process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click

from . import exit_codes

PID_FILE = "sandbox.pid"
LOG_FILE = "sandbox.log"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


def _knob_options(fn):
    options = [
        click.option("--latency-ms", type=click.FloatRange(min=0), default=0.0, show_default=True,
                     help="Delay added to every cloud API request."),
        click.option("--fault-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True,
                     help="Share of cloud API requests answered with 429, 503 or a connection reset."),
        click.option("--propagation-delay", type=click.FloatRange(min=0), default=0.0, show_default=True,
                     help="Seconds before a service-account IAM policy change takes effect."),
        click.option("--imdsv2-required", is_flag=True, help="EC2 metadata answers 401 to IMDSv1 requests."),
        click.option("--clock-offset", type=float, default=0.0, show_default=True,
                     help="Seconds the emulated clouds' clock runs ahead (negative: behind)."),
        click.option("--scenario", default="empty", show_default=True, help="Named scenario to seed."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _serve_args(latency_ms, fault_rate, propagation_delay, imdsv2_required, clock_offset, scenario) -> list[str]:
    args = ["--latency-ms", str(latency_ms), "--fault-rate", str(fault_rate),
            "--propagation-delay", str(propagation_delay), "--clock-offset", str(clock_offset),
            "--scenario", scenario]
    if imdsv2_required:
        args.append("--imdsv2-required")
    return args


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours still answers kill(0); reap it if it is ours
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def _read_pid(directory: Path) -> int | None:
    try:
        return int((directory / PID_FILE).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def _fail(message: str, code: int = exit_codes.USAGE):
    click.echo(f"xwiz: {message}", err=True)
    sys.exit(code)


@click.group("sandbox")
def sandbox() -> None:
    """Emulated Google Cloud and AWS on 127.0.0.1: the demo, and what every test runs on."""


@sandbox.command("up")
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for endpoints.json, the admin credentials file, the pid and the log.")
@_knob_options
def up(directory: Path, **knobs) -> None:
    """Start the sandbox in the background and write DIR/endpoints.json."""
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    pid = _read_pid(directory)
    if pid is not None and _pid_alive(pid):
        _fail(f"a sandbox is already running in {directory} (pid {pid}); "
              f"stop it with: xwiz sandbox down --dir {directory}")
    for stale in (PID_FILE, "endpoints.json"):
        (directory / stale).unlink(missing_ok=True)
    log = open(directory / LOG_FILE, "ab")
    child = subprocess.Popen(
        [sys.executable, "-m", "wizard.sandbox.serve", "--dir", str(directory), *_serve_args(**knobs)],
        stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if child.poll() is not None:
            tail = (directory / LOG_FILE).read_text(errors="replace")[-2000:]
            _fail(f"the sandbox exited during start (code {child.returncode}). Its log:\n{tail}",
                  exit_codes.INTERNAL)
        if _read_pid(directory) == child.pid and (directory / "endpoints.json").exists():
            endpoints = directory / "endpoints.json"
            click.echo(f"Sandbox running (pid {child.pid}).")
            click.echo(f"  endpoints: {endpoints}")
            click.echo(f"  use it:    export XWIZ_SANDBOX={endpoints}")
            click.echo(f"  stop it:   xwiz sandbox down --dir {directory}")
            return
        time.sleep(0.05)
    child.kill()
    _fail(f"the sandbox did not start within {START_TIMEOUT_S:.0f} s; see {directory / LOG_FILE}",
          exit_codes.INTERNAL)


@sandbox.command("down")
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False, path_type=Path))
def down(directory: Path) -> None:
    """Stop a sandbox started with `up`; leaves no process and no open port."""
    directory = directory.resolve()
    pid = _read_pid(directory)
    if pid is None or not _pid_alive(pid):
        (directory / PID_FILE).unlink(missing_ok=True)
        (directory / "endpoints.json").unlink(missing_ok=True)
        click.echo(f"No sandbox is running in {directory}.")
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline and _pid_alive(pid):
        time.sleep(0.05)
    if _pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
        while _pid_alive(pid):
            time.sleep(0.05)
    (directory / PID_FILE).unlink(missing_ok=True)
    (directory / "endpoints.json").unlink(missing_ok=True)
    click.echo(f"Sandbox stopped (pid {pid}).")


@sandbox.command("serve")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write endpoints.json (default: a new temporary directory).")
@_knob_options
def serve(directory: Path | None, scenario: str, **knobs) -> None:
    """Run the sandbox in the foreground until Ctrl-C."""
    from wizard.sandbox import serve as serve_mod

    directory = (directory or Path(tempfile.mkdtemp(prefix="xwiz-sandbox-"))).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    values = {"latency_ms": knobs["latency_ms"], "fault_rate": knobs["fault_rate"],
              "propagation_delay_s": knobs["propagation_delay"], "imdsv2_required": knobs["imdsv2_required"],
              "clock_offset_s": knobs["clock_offset"]}

    def ready(sb) -> None:
        ep = sb.endpoints
        click.echo("xwiz sandbox: emulated Google Cloud and AWS on 127.0.0.1 (all identities are fake)")
        click.echo(f"  project      {ep['gcp']['project_id']} (number {ep['gcp']['project_number']})")
        click.echo(f"  AWS accounts " + ", ".join(f"{k} {v}" for k, v in ep["aws"]["accounts"].items()))
        click.echo(f"  endpoints    {sb.endpoints_path}")
        click.echo(f"  control      {ep['control_url']}")
        click.echo(f"In another terminal:  export XWIZ_SANDBOX={sb.endpoints_path}")
        click.echo("Press Ctrl-C to stop.")

    serve_mod.run(directory, values, scenario, on_ready=ready)
    click.echo("Sandbox stopped.")


def load_endpoints(directory: Path | None) -> tuple[Path, dict]:
    if directory is not None:
        path = directory.resolve() / "endpoints.json"
    elif os.environ.get("XWIZ_SANDBOX"):
        path = Path(os.environ["XWIZ_SANDBOX"]).resolve()
    else:
        _fail("no sandbox given: pass --dir DIR or set XWIZ_SANDBOX to an endpoints.json")
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        _fail(f"{path} does not exist; start a sandbox with: xwiz sandbox up --dir {path.parent}")
    except ValueError:
        _fail(f"{path} is not valid JSON; expected the endpoints.json a sandbox writes")
    if not isinstance(data, dict) or "gcp" not in data or "aws" not in data:
        _fail(f"{path} is not a sandbox endpoints.json (expected keys gcp, aws, control_url)")
    return path, data


@sandbox.command("env")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=None)
def env(directory: Path | None) -> None:
    """Print the shell exports a workload needs to use the sandbox."""
    path, ep = load_endpoints(directory)
    exports = {
        "XWIZ_SANDBOX": str(path),
        "AWS_ENDPOINT_URL": ep["aws"]["endpoint_url"],
        "AWS_REGION": ep["aws"]["region"],
        # botocore's instance-metadata credential provider reads this
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": ep["aws"]["imds_url"] + "/",
        # google-auth's compute_engine credentials read these
        "GCE_METADATA_HOST": ep["gcp"]["metadata_host"],
        "GCE_METADATA_IP": ep["gcp"]["metadata_host"],
    }
    for name, value in exports.items():
        click.echo(f"export {name}={value}")
