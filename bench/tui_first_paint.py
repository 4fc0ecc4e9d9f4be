"""First paint of `xwiz --sandbox` against a trivial Textual app, side by side in one run.

Both are launched in a real terminal (tmux) and timed from launch until their text is on screen
(tmux capture-pane polled every 2 ms). xwiz paints its welcome first and starts the sandbox right
after, so the budget is: xwiz ≤ 1.2 × the trivial app.

    python bench/tui_first_paint.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _tmux import Pane, require_tmux  # noqa: E402

TRIVIAL = '''
from textual.app import App
from textual.widgets import Button, Footer, Header, Input, Label, Static

class Trivial(App):
    def compose(self):
        yield Header()
        yield Label("What do you want to do?")
        yield Input(placeholder="project")
        yield Button("Check")
        yield Static("")
        yield Footer()

Trivial().run()
'''


def first_paint(command: str, text: str, cwd: Path, name: str) -> float:
    pane = Pane(name, command, cwd)
    try:
        return pane.wait_for(lambda screen: text in screen, timeout=60)
    finally:
        pane.keys("C-q")
        pane.close()


def main() -> int:
    require_tmux()
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        (cwd / "trivial.py").write_text(TRIVIAL)
        trivial, xwiz = [], []
        first_paint(f"{sys.executable} trivial.py", "What do you want to do?", cwd, "bench-warm")  # warm caches
        for i in range(args.runs):  # interleaved, so drift affects both alike
            trivial.append(first_paint(f"{sys.executable} trivial.py", "What do you want to do?", cwd, f"bench-t{i}"))
            xwiz.append(first_paint(f"{sys.executable} -m wizard.cli.main --sandbox", "What do you want to do?",
                                    cwd, f"bench-x{i}"))
    t, x = statistics.median(trivial), statistics.median(xwiz)
    ratio = x / t
    print(f"trivial Textual app  first paint: median {t * 1000:.0f} ms  (runs: {', '.join(f'{v*1000:.0f}' for v in trivial)})")
    print(f"xwiz --sandbox       first paint: median {x * 1000:.0f} ms  (runs: {', '.join(f'{v*1000:.0f}' for v in xwiz)})")
    print(f"ratio {ratio:.2f} (budget ≤ 1.20): {'OK' if ratio <= 1.2 else 'OVER BUDGET'}")
    return 0 if ratio <= 1.2 else 1


if __name__ == "__main__":
    sys.exit(main())
