"""Input policy of the core layer: training records and JSON files (`records`), checkpoints (`checkpoint`).
The apps' raster, DICOM and archive policies live in `apps.common.policy`; docs/SECURITY.md states them all."""
