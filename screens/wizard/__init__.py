"""The setup journeys: one Screen[StepResult] per step, awaited in order (see journeys.py)."""
