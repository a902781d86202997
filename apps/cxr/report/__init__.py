"""The model's reading of a study series: `CxrPredictor` and `CxrResult` with its comparison report and files
(`result`). Imports `dicom`, `apps.cxr.errors` and the phantoms' question; no Gradio."""
