"""Shared test settings: tiny models, one thread (the CI machine has 2 cores and runs one test at a time)."""

import torch

torch.set_num_threads(1)
