"""The middle layer (imports `sve_core`, never `apps`). Scoring for the suite's benchmarks: caption metrics, the
RATE-style chest X-ray change score, dataset loaders, benchmark runners, a pairwise MLLM judge and the controlled
design study (`controlled/`). Nothing is imported here so `sve eval --help` stays fast; import the
submodule you need (`evaluation.captions`, `evaluation.findings`, ...)."""
