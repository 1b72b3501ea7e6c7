"""Eval suites shipped with mkt (YAML package data)."""
