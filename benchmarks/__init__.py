"""Benchmarks and the naive per-run oracle (scripts, not part of the installed package)."""
