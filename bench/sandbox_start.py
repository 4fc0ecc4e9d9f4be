"""How long an in-process sandbox takes to start (goal ≤ 1.5 s), measured in a fresh interpreter.

    python bench/sandbox_start.py [--runs 5]

Each run is a new process, so imports (moto, werkzeug, botocore) are counted as a user pays them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, time, tempfile
t0 = time.perf_counter()
from wizard.sandbox import Sandbox
sb = Sandbox.start(directory=tempfile.mkdtemp())
t1 = time.perf_counter()
sb.stop()
print(json.dumps({"start_s": t1 - t0}))
"""

GOAL_S = 1.5


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    samples = []
    for _ in range(args.runs):
        out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
        samples.append(json.loads(out.stdout.strip().splitlines()[-1])["start_s"])
    median = statistics.median(samples)
    print(f"sandbox start (in-process, incl. imports): median {median:.3f} s, "
          f"min {min(samples):.3f} s, max {max(samples):.3f} s over {args.runs} runs; "
          f"goal <= {GOAL_S} s: {'met' if median <= GOAL_S else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
