"""Committed baselines of the packaged suites (JSON package data)."""
