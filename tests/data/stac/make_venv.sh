#!/usr/bin/env bash
# The STAC API server's own virtualenv (.venv-stac at the repo root): stac-fastapi-geoparquet with the pins known
# to work offline (rustac-duckdb-extensions ships DuckDB's spatial extension, which DuckDB would otherwise
# download; stac-fastapi below 6, fastapi below 0.145, starlette below 0.51). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../../.."
if [ ! -x .venv-stac/bin/uvicorn ]; then
  python3 -m venv .venv-stac
  .venv-stac/bin/pip install -q "stac-fastapi-geoparquet==0.0.7" "rustac==0.9.9" \
    "rustac-duckdb-extensions==1.5.1.post0" "stac-fastapi.api<6" "stac-fastapi.types<6" \
    "stac-fastapi.extensions<6" "fastapi<0.145" "starlette<0.51" uvicorn
fi
