"""Benchmarks: `python -m bench` (or `make bench`) runs the suite and prints a Markdown table and JSON."""
