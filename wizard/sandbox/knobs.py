"""Runtime knobs of the sandbox, set at start or through the control endpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass
class Knobs:
    latency_ms: float = 0.0
    """Added to every request to a cloud API listener (not to the control endpoint)."""
    fault_rate: float = 0.0
    """Share of cloud API requests answered with 429, 503 or a connection reset, at random."""
    propagation_delay_s: float = 0.0
    """How long a service-account IAM policy change takes to be seen by IAM Credentials."""
    imdsv2_required: bool = False
    """EC2 metadata options HttpTokens=required: IMDSv1 requests get 401."""
    clock_offset_s: float = 0.0
    """The emulated clouds' clock minus the real clock."""
    seed: int | None = None
    """Seed of the fault injector, for reproducible fault sequences."""

    def to_dict(self) -> dict:
        return asdict(self)

    def update(self, values: dict) -> None:
        """Apply a partial update; unknown names or bad values raise ValueError."""
        known = {f.name: f for f in fields(self)}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"unknown knob {name!r}; expected one of {', '.join(sorted(known))}")
            if name == "imdsv2_required":
                if not isinstance(value, bool):
                    raise ValueError("imdsv2_required must be true or false")
            elif name == "seed":
                if value is not None and not isinstance(value, int):
                    raise ValueError("seed must be an integer or null")
            else:
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ValueError(f"{name} must be a number")
                if name == "fault_rate" and not 0.0 <= value <= 1.0:
                    raise ValueError("fault_rate must be between 0 and 1")
                if name in ("latency_ms", "propagation_delay_s") and value < 0:
                    raise ValueError(f"{name} must not be negative")
                value = float(value)
            setattr(self, name, value)
