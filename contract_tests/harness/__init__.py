"""Contract harness: live servers, the parity pytest plugin and assertion helpers."""
