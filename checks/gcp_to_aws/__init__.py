"""Checks of one group; each module is one check whose id is its module path."""
