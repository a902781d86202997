"""What a described scene is saved as: the per-tile verdict types (`results`), `SceneResult`, GeoJSON, the heatmap
GeoTIFF, the markdown summary and the tile map. Imports `scene` only (for grids and quicklooks)."""
