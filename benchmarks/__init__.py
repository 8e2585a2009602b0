"""Benchmarks: figures printed by `make bench` (never asserted as timings in tests)."""
