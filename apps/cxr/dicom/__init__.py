"""Radiographs in: DICOM (`decode`), PNG/JPEG (`bitmap`), zips (`archive`), studies in date order (`studies`),
the decoded `CxrImage`, display windows and MONAI transforms. Imports `apps.cxr.errors` only within the app."""
