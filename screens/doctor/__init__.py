"""The diagnostics pane: live check status, details, fixes, rerun, JSON report."""
