"""Benchmarks: ``python -m benchmarks.<name>`` (data read from ../shared by default)."""
