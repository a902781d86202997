"""Synthetic chest radiograph phantoms: patients and visits (`patients`), rendering, DICOM writing, the dataset
(`make_dataset`), the UI examples and a Medical-Diff-VQA-shaped export. Imports `dicom` only
within the app."""
