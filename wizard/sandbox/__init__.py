"""The sandbox: emulated Google Cloud and AWS endpoints on 127.0.0.1.

Every end-to-end test, benchmark and the demo talk to this. It implements the real services'
rules on its own and imports nothing else from xwiz, so that a bug in xwiz's model cannot hide
behind the same bug here. Start it with ``Sandbox.start()`` (in-process) or ``xwiz sandbox up``.
"""

from __future__ import annotations

__all__ = ["Sandbox", "Knobs"]


def __getattr__(name: str):  # lazy: importing moto and werkzeug costs ~0.6 s
    if name == "Sandbox":
        from .core import Sandbox

        return Sandbox
    if name == "Knobs":
        from .knobs import Knobs

        return Knobs
    raise AttributeError(name)
