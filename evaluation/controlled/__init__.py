"""Controlled tasks of the SVE design study (REFERENCE §3), as seeded generators of ShareGPT JSONL datasets, and
the study itself (`sve bench`). Evaluation layer: imports `sve_core`, never `apps`.

- `dots`: spatial aggregation over 2-5 images, one red dot each (`backgrounds` varies what it sits on);
- `multi_change`: multi-object change captioning on flat CLEVR scenes (`scene`), its sentences and their
  parser in `change_text`;
- `export`: writing any generator out in the dataset layout of docs/CONVENTIONS.md;
- `metrics`: MAE/RMSE, permutation-invariant change accuracy, perplexity, and a split's answers through
  `sve_core.inference`; `curve`: task metrics during training; `bench`: the design study behind ``sve bench controlled``.
"""
