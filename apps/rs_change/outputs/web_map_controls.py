"""The RS map's own Leaflet controls, as folium elements (small and self-written, so nothing is fetched): the
scene box (what the map shows, in which coordinates, and the before/after swipe), the whole-scene view, the
mouse-position readout, the p(change) legend and the tile popup.

The swipe clips the before-scene's pane to the left of a line the slider moves (the after-scene lies under it,
whole), so the left part shows the before date and the right part the after date; the slider is an ordinary
range input, so the keyboard moves it too. Popups are built with `textContent`, never from HTML, because
captions are model output. The page keeps its map in `window.sveMap` (for the browser tests and the console).
"""

from __future__ import annotations

from folium.elements import MacroElement
from folium.template import Template
from folium.utilities import JsCode
from matplotlib import colormaps
from matplotlib.colors import to_hex

COLOUR_MAP = "viridis"  # perceptually uniform and readable with the common colour-vision deficiencies
POLYGON_COLOUR = "#dc267f"  # magenta, away from viridis' hues, and dashed: never told apart by colour alone
BEFORE_PANE = "sveBefore"
AFTER_PANE = "sveAfter"

STYLE = """
.sve-box, .sve-readout, .sve-legend { background: rgba(255, 255, 255, 0.92); color: #111; padding: 4px 8px;
  border-radius: 4px; box-shadow: 0 1px 4px rgba(0, 0, 0, 0.35); font: 13px/1.35 system-ui, sans-serif; }
.sve-box { max-width: 42vw; }
.sve-home { font: 12px system-ui, sans-serif; padding: 3px 8px; border: 2px solid rgba(0, 0, 0, 0.2);
  border-radius: 4px; background: #fff; cursor: pointer; }
.sve-box .sve-warning { font-weight: 700; color: #7a2e00; }
.sve-box label { display: flex; gap: 6px; align-items: center; margin-top: 2px; }
.sve-box input[type=range] { flex: 1; min-width: 80px; }
.sve-swipe-line { position: absolute; width: 2px; margin-left: -1px; background: #fff;
  box-shadow: 0 0 3px #000; }
.sve-legend .sve-ramp { position: relative; height: 10px; width: 160px; margin: 3px 0; }
.sve-legend .sve-tick { position: absolute; top: -3px; bottom: -3px; width: 2px; background: #000; }
.sve-legend .sve-scale { display: flex; justify-content: space-between; width: 160px; }
.sve-legend .sve-key { display: inline-block; width: 18px; height: 0; margin-right: 4px;
  vertical-align: middle; }
.sve-popup p { margin: 4px 0; }
@media (max-width: 560px) {  /* a phone: smaller controls, so they leave the scene visible */
  .sve-box, .sve-readout, .sve-legend, .leaflet-control-layers { font-size: 11px; }
  .sve-box { max-width: 40vw; }
  .sve-legend .sve-ramp, .sve-legend .sve-scale { width: 110px; }
  .sve-legend .sve-hint { display: none; }
}
"""


def p_colour(p_change: float) -> str:
    """The colour of a p(change) in [0, 1] on the map and its legend."""
    return to_hex(colormaps[COLOUR_MAP](min(max(p_change, 0.0), 1.0)))


class ControlStyle(MacroElement):
    """The controls' stylesheet, in the page's head."""

    _template = Template("{% macro header(this, kwargs) %}<style>" + STYLE + "</style>{% endmacro %}")


class SceneBox(MacroElement):
    """Top left: the title, a warning line when coordinates are pixels, and the before/after swipe slider."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            window.sveMap = map;
            const box = L.control({position: "topleft"});
            box.onAdd = function () {
                const div = L.DomUtil.create("div", "sve-box");
                const title = L.DomUtil.create("div", "", div);
                title.textContent = {{ this.title|tojson }};
                if ({{ this.warning|tojson }}) {
                    const warning = L.DomUtil.create("div", "sve-warning", div);
                    warning.setAttribute("role", "note");
                    warning.textContent = {{ this.warning|tojson }};
                }
                const label = L.DomUtil.create("label", "", div);
                label.append("before");
                const slider = L.DomUtil.create("input", "sve-swipe", label);
                label.append("after");
                Object.assign(slider, {type: "range", min: 0, max: 100, value: 50});
                slider.setAttribute("aria-label",
                                    "Swipe: the before-scene left of the line, the after-scene right of it");
                const line = L.DomUtil.create("div", "sve-swipe-line", map.createPane("sveSwipeLine"));
                line.parentNode.style.zIndex = 270;  // above both scenes, below the tiles and popups
                line.parentNode.style.pointerEvents = "none";
                const pane = map.getPane({{ this.pane|tojson }});
                function clip() {
                    const size = map.getSize();
                    const x = size.x * slider.value / 100;
                    const nw = map.containerPointToLayerPoint([0, 0]);
                    const se = map.containerPointToLayerPoint(size);
                    const cut = map.containerPointToLayerPoint([x, 0]).x;
                    pane.style.clip = `rect(${nw.y}px, ${cut}px, ${se.y}px, ${nw.x}px)`;
                    const height = se.y - nw.y;
                    Object.assign(line.style, {left: `${cut}px`, top: `${nw.y}px`, height: `${height}px`});
                }
                slider.addEventListener("input", clip);
                map.on("move zoom resize viewreset", clip);
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                setTimeout(clip);
                return div;
            };
            box.addTo(map);
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, title: str, warning: str = "") -> None:
        super().__init__()
        self.title, self.warning, self.pane = title, warning, BEFORE_PANE


class HomeView(MacroElement):
    """The whole scene in view: at the start, again whenever the map's size changes until the user pans or
    zooms, and on the "Whole scene" button. An iframe's page can run before the iframe is laid out (or while
    its tab is hidden) and then fits the scene into no space at all, which left it zoomed out to the world; a
    `ResizeObserver` sees the size arrive (the window's resize event does not always fire then)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            const home = L.latLngBounds({{ this.bounds|tojson }});
            let touched = false;
            ["mousedown", "touchstart", "wheel", "keydown"].forEach(function (name) {
                map.getContainer().addEventListener(name, function () { touched = true; }, {passive: true});
            });
            const fit = function () { map.fitBounds(home, {animate: false}); };
            new ResizeObserver(function () {
                map.invalidateSize({animate: false});
                if (!touched) { fit(); }
            }).observe(map.getContainer());
            fit();
            const control = L.control({position: "topleft"});
            control.onAdd = function () {
                const button = L.DomUtil.create("button", "sve-home");
                button.type = "button";
                button.textContent = "Whole scene";
                L.DomEvent.disableClickPropagation(button);
                L.DomEvent.on(button, "click", fit);
                return button;
            };
            control.addTo(map);
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self.bounds = bounds


class CoordinateReadout(MacroElement):
    """Bottom left: the mouse position, in lon/lat (WGS84) or in scene pixels (x = column, y = row), and for
    lon/lat a metric scale bar (pixels have no ground size)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            const pixels = {{ this.pixels|tojson }};
            const idle = pixels ? "x —, y — (pixels)" : "lat —, lon —";
            if (!pixels) {
                L.control.scale({imperial: false}).addTo(map);  // metres; the readout goes above it
            }
            const readout = L.control({position: "bottomleft"});
            readout.onAdd = function () {
                const div = L.DomUtil.create("div", "sve-readout");
                div.setAttribute("aria-live", "off");
                div.textContent = idle;
                map.on("mousemove click", function (event) {  // a click (a tap on a phone) as well
                    const at = event.latlng;
                    div.textContent = pixels
                        ? `x ${Math.round(at.lng)} px, y ${Math.round(-at.lat)} px`
                        : `lat ${at.lat.toFixed(5)}°, lon ${at.lng.toFixed(5)}° (WGS84)`;
                });
                map.on("mouseout", function () { div.textContent = idle; });
                return div;
            };
            readout.addTo(map);
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, *, pixels: bool) -> None:
        super().__init__()
        self.pixels = pixels


class Legend(MacroElement):
    """Bottom right: the p(change) colour ramp with the threshold marked, and what the outlines mean."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            const legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                const div = L.DomUtil.create("div", "sve-legend");
                div.innerHTML = {{ this.body|tojson }};
                return div;
            };
            legend.addTo(map);
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, threshold: float, map_threshold: float) -> None:
        super().__init__()
        stops = ", ".join(p_colour(i / 10) for i in range(11))
        self.body = (
            "<strong>Tile p(change)</strong>"
            f'<div class="sve-ramp" style="background: linear-gradient(to right, {stops})">'
            f'<span class="sve-tick" style="left: {100 * threshold:.1f}%" title="threshold"></span></div>'
            '<div class="sve-scale"><span>0 (no change)</span><span>1</span></div>'
            f'<div><span class="sve-key" style="border-top: 3px solid #333"></span>'
            f"changed: p &ge; {threshold:.2f}</div>"
            f'<div><span class="sve-key" style="border-top: 2px dashed {POLYGON_COLOUR}"></span>'
            f"change polygons: map &ge; {map_threshold:.2f}</div>"
            '<div class="sve-hint">Click a tile for its caption</div>'
        )


# onEachFeature of the tile and polygon layers: a popup from the feature's `title`, `caption` and `details`
POPUP = JsCode("""
function (feature, layer) {
    layer.bindPopup(function () {
        const facts = feature.properties;
        const box = document.createElement("div");
        box.className = "sve-popup";
        const add = function (tag, text) {
            const element = document.createElement(tag);
            element.textContent = text;
            box.appendChild(element);
        };
        add("strong", facts.title);
        add("p", facts.caption);
        facts.details.forEach(function (line) { add("div", line); });
        return box;
    });
}
""")
