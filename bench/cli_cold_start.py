"""Cold start of `xwiz doctor --help` (goal ≤ 0.2 s), hyperfine-style: N fresh processes, median.

    python bench/cli_cold_start.py [--runs 15] [--warmup 2]

Each run is a new interpreter executing the `xwiz` entry point, so imports are paid as a user pays
them (with warm .pyc files, as after installation). `xwiz --help` is measured side by side.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOAL_S = 0.2
ENTRY = "import sys; from wizard.cli.main import main; sys.exit(main(sys.argv[1:]))"


def sample(args: list[str], runs: int, warmup: int) -> list[float]:
    command = [sys.executable, "-c", ENTRY, *args]
    for _ in range(warmup):
        subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
        out.append(time.perf_counter() - start)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    baseline = sample(["--help"], args.runs, args.warmup)
    doctor = sample(["doctor", "--help"], args.runs, args.warmup)
    bare = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], capture_output=True, check=True)
        bare.append(time.perf_counter() - start)
    median = statistics.median(doctor)
    print(f"python -c pass:     median {statistics.median(bare) * 1000:.0f} ms")
    print(f"xwiz --help:        median {statistics.median(baseline) * 1000:.0f} ms")
    print(f"xwiz doctor --help: median {median * 1000:.0f} ms (min {min(doctor) * 1000:.0f}, "
          f"max {max(doctor) * 1000:.0f}) over {args.runs} runs")
    print(f"goal <= {GOAL_S * 1000:.0f} ms: {'met' if median <= GOAL_S else 'NOT met'}")
    return 0 if median <= GOAL_S else 1


if __name__ == "__main__":
    sys.exit(main())
