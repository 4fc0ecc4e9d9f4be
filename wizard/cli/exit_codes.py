"""Exit codes shared by every xwiz command (design.md, "CLI")."""

OK = 0
"""Everything passed (warnings allowed)."""
PROBLEMS = 1
"""The command ran and found problems (a failing check, a plan that could not be applied)."""
USAGE = 2
"""Bad usage or bad input: a flag, a spec field, a file."""
INTERNAL = 3
"""xwiz itself failed; a bug to report."""
