"""Scenes in: opening, checking and aligning dated rasters (`ingest`, `alignment`), band choice and stretch to
display RGB (`bands`, `stretch`), valid-pixel masks, tiling and the quicklook. Imports `apps.rs_change.errors`,
`evaluation` and `sve_core` only; never the describe, outputs or synthetic packages."""
