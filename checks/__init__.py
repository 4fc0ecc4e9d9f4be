"""Diagnostics for xwiz: the checks behind `xwiz doctor` and the TUI pane."""
