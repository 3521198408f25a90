"""Checks of the contract suite itself (not contract tests; no concept markers)."""
