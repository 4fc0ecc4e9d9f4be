"""Run the sandbox in the foreground until Ctrl-C, SIGTERM or the control endpoint's /shutdown.

`xwiz sandbox serve` runs this in-process; `xwiz sandbox up` runs it as a detached child
(`python -m wizard.sandbox.serve --dir DIR …`) and waits for `DIR/sandbox.pid` to appear.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

PID_FILE = "sandbox.pid"


def run(directory: Path, knobs: dict, scenario: str = "empty", on_ready=None) -> int:
    from .core import Sandbox
    from .knobs import Knobs

    k = Knobs()
    k.update(knobs)
    sb = Sandbox.start(knobs=k, directory=directory, scenario=scenario)

    def _stop(signum, frame):
        sb.request_shutdown()

    previous = {s: signal.signal(s, _stop) for s in (signal.SIGTERM, signal.SIGINT)}
    pid_path = directory / PID_FILE
    pid_path.write_text(f"{os.getpid()}\n")
    try:
        if on_ready is not None:
            on_ready(sb)
        while not sb.shutdown_requested.wait(0.5):
            pass
    finally:
        sb.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
        for name in (PID_FILE, "endpoints.json"):
            try:
                (directory / name).unlink()
            except FileNotFoundError:
                pass
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wizard.sandbox.serve")
    parser.add_argument("--dir", required=True)
    parser.add_argument("--scenario", default="empty")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--propagation-delay", type=float, default=0.0)
    parser.add_argument("--imdsv2-required", action="store_true")
    parser.add_argument("--clock-offset", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    knobs = {"latency_ms": args.latency_ms, "fault_rate": args.fault_rate,
             "propagation_delay_s": args.propagation_delay, "imdsv2_required": args.imdsv2_required,
             "clock_offset_s": args.clock_offset, "seed": args.seed}
    return run(Path(args.dir).resolve(), knobs, args.scenario)


if __name__ == "__main__":
    sys.exit(main())
