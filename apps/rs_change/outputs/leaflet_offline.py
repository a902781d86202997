"""Leaflet's JavaScript and stylesheet inlined into a page, from the installed XStatic-Leaflet package, so the
RS map works in a browser with no network.

folium's pages load Leaflet (and jQuery, Bootstrap, Font Awesome) from CDNs; `web_map.py` drops those links
and puts this in the page's head instead. The stylesheet's images (layer-control and marker icons) become PNG
data URIs and the source-map comment is removed, so the browser asks no server for anything.
"""

from __future__ import annotations

import base64
import functools
import re
from pathlib import Path

from xstatic.pkg import leaflet

LEAFLET_DIR = Path(leaflet.BASE_DIR)


@functools.cache
def leaflet_head() -> str:
    """`<style>` and `<script>` elements holding Leaflet's stylesheet and library, for a page's `<head>`."""
    css = re.sub(
        r"url\((images/[\w.-]+\.png)\)",
        lambda found: f"url({png_data_uri((LEAFLET_DIR / found.group(1)).read_bytes())})",
        (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8"),
    )
    script = (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8")
    script = re.sub(r"//# sourceMappingURL=\S*\s*$", "", script)
    return f"<style>{css}</style>\n<script>{script}</script>"


def png_data_uri(png: bytes) -> str:
    """A PNG file's bytes as a `data:` URI (what an offline page embeds instead of a link)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
