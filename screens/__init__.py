"""Textual screens of the xwiz terminal wizard."""
