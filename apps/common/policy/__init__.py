"""The input policy: one module per kind of untrusted input (`raster`, `dicom`, `archive`), each holding its
limits, allow-lists and the flags that change them. Every CLI, UI handler and loader of a kind opens its input
through that module; training data and checkpoints have theirs in the core (`sve_core.policy`). docs/SECURITY.md
states the policy."""
