"""Loaders for the benchmark datasets, each reading the real on-disk layout documented in its docstring."""
