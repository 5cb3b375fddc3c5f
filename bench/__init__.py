"""Benchmarks and fault runs: measured figures, not tests (see ``make bench``, ``make faults``)."""
