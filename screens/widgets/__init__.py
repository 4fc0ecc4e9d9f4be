"""Reusable widgets: validated fields, suggestion lists, the plan diff."""
