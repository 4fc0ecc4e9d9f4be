"""Placeholder: the emulated AWS accounts (moto in-process) and their seed."""

from __future__ import annotations


class AwsWorld:
    def __init__(self, sb) -> None:
        self.sb = sb

    def reset(self) -> None:
        pass

    def close(self) -> None:
        pass
