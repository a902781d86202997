"""The model's view of 2-3 images: `DiffPredictor` and the ImgEdit category of an answer. Imports `ingest`,
`answers` and `synthetic` (the prompts the model was trained with); no Gradio."""
