"""Modal dialogs: confirm, help."""
