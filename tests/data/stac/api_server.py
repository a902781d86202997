"""A real STAC API for the tests: stac-fastapi-geoparquet over the fixture items, served by uvicorn on 127.0.0.1.

Runs in its own virtualenv (`.venv-stac`, made by tests/data/stac/make_venv.sh with the pins that work offline):
`.venv-stac/bin/python api_server.py ITEMS.json PORT` writes the items (a JSON list) as stac-geoparquet with
rustac next to ITEMS.json and serves them until stopped.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main() -> None:
    items_json, port = Path(sys.argv[1]), int(sys.argv[2])
    import rustac
    import rustac_duckdb_extensions
    import uvicorn

    parquet = items_json.with_suffix(".parquet")
    rustac.write_sync(str(parquet), json.loads(items_json.read_text()))
    os.environ["STAC_FASTAPI_GEOPARQUET_HREF"] = str(parquet)
    import stac_fastapi.geoparquet.api

    # the spatial extension from the wheel: DuckDB would otherwise try to download it
    client = rustac.DuckdbClient(extension_directory=rustac_duckdb_extensions.extension_directory(),
                                 install_extensions=False)
    uvicorn.run(stac_fastapi.geoparquet.api.create(duckdb_client=client).app, host="127.0.0.1", port=port,
                log_level="warning")


if __name__ == "__main__":
    main()
