"""Sweeps: a set of runs over a grid or a random sample of settings (issue 16)."""
