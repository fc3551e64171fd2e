"""Timed comments on tracks."""
