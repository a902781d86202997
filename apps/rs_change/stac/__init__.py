"""STAC input: search a STAC API or walk a static catalog for the best item per date (`search`), and read only
the area-of-interest windows of its assets over HTTP (`read`). May import `apps.rs_change.scene`, `evaluation`
and `sve_core`; remote opening goes through `apps.rs_change.scene.remote` only."""
