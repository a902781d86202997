"""Pieces every app shares: heatmap overlays, the demo-model banner, and safe UI handlers."""
