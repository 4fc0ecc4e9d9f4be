"""A federation to onboard into, applied with the engine (the state `xwiz apply` of the base spec leaves)."""

from __future__ import annotations

from pathlib import Path

from tests.onboarding.helpers import BASE_SPEC, POOL, SA

__all__ = ["BASE_SPEC", "POOL", "SA", "apply_federation"]


def apply_federation(services, directory: Path) -> Path:
    """Write ./xwiz.toml (pool aws-pool, one account) and apply it; returns its path."""
    from wizard.engine.applier import Applier
    from wizard.engine.planner import Planner
    from wizard.model.spec import load_spec

    path = Path(directory) / "xwiz.toml"
    path.write_text(BASE_SPEC)
    planner = Planner(services, load_spec(path), Path(directory))
    result = Applier(services, planner).apply(planner.plan())
    assert result.ok, result.failed
    return path
