"""Contract tests (one module per area; fixtures of the feature tests in conftest.py)."""
