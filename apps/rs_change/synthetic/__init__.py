"""The seeded synthetic landscape generator (landscape, placement, change events, reflectance rendering,
captions), the georeferenced example scenes and the LEVIR-CC-style dataset export (`make_dataset`). Imports
nothing else of the app (rasterio writes its GeoTIFFs directly)."""
