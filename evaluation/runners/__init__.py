"""Benchmark runners behind `sve eval`: each takes a small config, scores, and returns a `Report`."""
