"""Scoring for the suite's benchmarks: caption metrics, the RATE-style chest X-ray change score, dataset loaders,
benchmark runners and a pairwise MLLM judge. Nothing is imported here so `sve eval --help` stays fast; import the
submodule you need (`evaluation.captions`, `evaluation.findings`, ...)."""
