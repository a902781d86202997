"""The top layer: the domain apps (`cxr`, `rs_change`, `image_diff`), their Gradio UIs, `serve.py` and the `sve`
command table (`cli.py`). May import `evaluation` and `sve_core`; nothing imports it."""
