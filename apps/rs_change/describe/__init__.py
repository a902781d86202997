"""The model's view of a scene: `RsPredictor` (tiles -> `Describer.predict` -> verdicts) and `verdict` (a caption
read as a change flag and score). Imports `scene`, `outputs` and the synthetic data's model input size; no Gradio."""
