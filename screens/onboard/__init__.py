"""Onboarding more AWS accounts into an existing pool."""
