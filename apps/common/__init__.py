"""Pieces every app shares: heatmap overlays (`overlay`), Gradio helpers (`ui`, the only place they live), model
loading (`predictor`) and `sve <app> evaluate` plumbing (`evaluate`). Imports `evaluation` and `sve_core`, never
an app."""
