"""Saved architectures: named layer stacks with their compile settings."""
