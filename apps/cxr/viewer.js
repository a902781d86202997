// The chest X-ray study viewer (apps/cxr/viewer.py): the body of the gr.HTML component's `js_on_load`.
// Gradio runs it once with `element` (the component's root) and `watch`; `mount` runs again after every new
// value. State: one view transform (zoom, x, y in stage pixels) applied to both images, so they stay in step
// exactly; and per image a window (centre, width) in that image's own values, drawn through a 65 536-entry
// lookup table over its 16-bit codes. Linked windows move by equal fractions of each image's value range.
const MIN_ZOOM = 0.5;
const MAX_ZOOM = 32;
const WHEEL_RATE = 0.0015; // zoom factor per wheel pixel: exp(-deltaY * rate)
const KEY_PAN = 0.1; // arrow keys pan by this fraction of the stage

async function inflate(base64) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function decodeCodes(study) {
  // viewer.py `EncodedValues`: high-byte plane, low-byte plane of each row's differences, mod 2**16
  const bytes = await inflate(study.data);
  const n = study.width * study.height;
  const codes = new Uint16Array(n);
  for (let y = 0; y < study.height; y++) {
    let sum = 0;
    for (let i = y * study.width; i < (y + 1) * study.width; i++) {
      sum = (sum + ((bytes[i] << 8) | bytes[n + i])) & 0xffff;
      codes[i] = sum;
    }
  }
  return codes;
}

function mount() {
  const root = element.querySelector(".cxrv");
  if (element._cxrvAbort) element._cxrvAbort.abort(); // listeners of the previous result
  if (!root) return;
  const abort = new AbortController();
  element._cxrvAbort = abort;
  const on = (target, type, handler, options = {}) =>
    target.addEventListener(type, handler, { ...options, signal: abort.signal });
  const payload = JSON.parse(root.dataset.payload);
  const panels = [...root.querySelectorAll(".cxrv-panel")];
  const studies = payload.studies.map((study, index) => ({
    ...study,
    panel: panels[index],
    canvas: panels[index].querySelector(".cxrv-image"),
    layer: panels[index].querySelector(".cxrv-layer"),
    stage: panels[index].querySelector(".cxrv-stage"),
    centreInput: panels[index].querySelector(".cxrv-centre"),
    widthInput: panels[index].querySelector(".cxrv-width"),
    readout: panels[index].querySelector(".cxrv-readout"),
    span: Math.max(study.range[1] - study.range[0], 1e-6),
    window: null,
    codes: null,
  }));
  const view = { zoom: 1, x: 0, y: 0 };
  const link = root.querySelector(".cxrv-link");
  const presets = [...root.querySelectorAll("[data-preset]")];
  let pending = false;

  function draw(study) {
    if (!study.codes) return;
    const { centre, width } = study.window;
    const lower = centre - width / 2;
    const lut = new Uint8ClampedArray(65536);
    for (let code = 0; code < 65536; code++) {
      lut[code] = ((study.offset + code * study.step - lower) / width) * 255 + 0.5;
    }
    const context = study.canvas.getContext("2d");
    const image = context.createImageData(study.width, study.height);
    const out = new Uint32Array(image.data.buffer); // little-endian RGBA: alpha in the top byte
    for (let i = 0; i < study.codes.length; i++) {
      const grey = lut[study.codes[i]];
      out[i] = 0xff000000 | (grey << 16) | (grey << 8) | grey;
    }
    context.putImageData(image, 0, 0);
    study.centreInput.value = centre;
    study.widthInput.value = width;
    study.readout.value = `C ${centre.toPrecision(5)} · W ${width.toPrecision(5)}`;
    study.canvas.dataset.window = `${centre} ${width}`;
  }

  function redraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      studies.forEach(draw);
    });
  }

  function nudge(source, centreFraction, widthFraction) {
    // move `source`'s window (and the others' when linked) by fractions of each image's value range
    for (const study of studies) {
      if (study !== source && !link.checked) continue;
      const centre = study.window.centre + centreFraction * study.span;
      const width = Math.max(study.window.width + widthFraction * study.span, study.span / 1000);
      study.window = { centre, width };
    }
    redraw();
  }

  function preset(name) {
    for (const study of studies) {
      const [lower, upper] = study.windows[name];
      study.window = { centre: (lower + upper) / 2, width: Math.max(upper - lower, study.span / 1000) };
    }
    for (const button of presets) button.setAttribute("aria-pressed", button.dataset.preset === name);
    redraw();
  }

  function applyView() {
    const transform = `translate(${view.x}px, ${view.y}px) scale(${view.zoom})`;
    for (const study of studies) {
      study.layer.style.transform = transform;
      study.canvas.classList.toggle("cxrv-pixels", view.zoom > 2);
      study.stage.style.touchAction = view.zoom > 1 ? "none" : "pan-y"; // at fit, a swipe scrolls the page
    }
  }

  function zoomAt(factor, px, py) {
    const zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, view.zoom * factor));
    view.x = px - ((px - view.x) * zoom) / view.zoom;
    view.y = py - ((py - view.y) * zoom) / view.zoom;
    view.zoom = zoom;
    applyView();
  }

  function fit() {
    Object.assign(view, { zoom: 1, x: 0, y: 0 });
    applyView();
  }

  for (const study of studies) {
    const { stage } = study;
    on(stage, "wheel", (event) => {
      event.preventDefault();
      const box = stage.getBoundingClientRect();
      zoomAt(Math.exp(-event.deltaY * WHEEL_RATE), event.clientX - box.left, event.clientY - box.top);
    }, { passive: false });
    on(stage, "contextmenu", (event) => event.preventDefault());
    on(stage, "dblclick", fit);
    on(stage, "pointerdown", (event) => {
      if (event.button !== 0 && event.button !== 2) return;
      event.preventDefault();
      stage.focus();
      stage.setPointerCapture(event.pointerId);
      const windowing = event.button === 2;
      let last = [event.clientX, event.clientY];
      const move = (e) => {
        const [dx, dy] = [e.clientX - last[0], e.clientY - last[1]];
        last = [e.clientX, e.clientY];
        if (windowing) {
          const box = stage.getBoundingClientRect();
          nudge(study, dy / box.height, dx / box.width);
        } else {
          view.x += dx;
          view.y += dy;
          applyView();
        }
      };
      const up = () => {
        stage.removeEventListener("pointermove", move);
        stage.removeEventListener("pointerup", up);
        stage.removeEventListener("pointercancel", up);
      };
      on(stage, "pointermove", move);
      on(stage, "pointerup", up);
      on(stage, "pointercancel", up);
    });
    on(stage, "keydown", (event) => {
      const box = stage.getBoundingClientRect();
      const pans = { ArrowLeft: [1, 0], ArrowRight: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
      if (event.key in pans) {
        view.x += pans[event.key][0] * KEY_PAN * box.width;
        view.y += pans[event.key][1] * KEY_PAN * box.height;
        applyView();
      } else if (event.key === "+" || event.key === "=") {
        zoomAt(1.25, box.width / 2, box.height / 2);
      } else if (event.key === "-") {
        zoomAt(0.8, box.width / 2, box.height / 2);
      } else if (event.key === "0") {
        fit();
      } else {
        return;
      }
      event.preventDefault();
    });
    on(study.centreInput, "input", () => {
      nudge(study, (Number(study.centreInput.value) - study.window.centre) / study.span, 0);
    });
    on(study.widthInput, "input", () => {
      nudge(study, 0, (Number(study.widthInput.value) - study.window.width) / study.span);
    });
  }
  for (const button of presets) on(button, "click", () => preset(button.dataset.preset));
  for (const button of root.querySelectorAll("[data-zoom]")) {
    on(button, "click", () => {
      const box = studies[0].stage.getBoundingClientRect();
      zoomAt(Number(button.dataset.zoom), box.width / 2, box.height / 2);
    });
  }
  on(root.querySelector(".cxrv-reset"), "click", () => {
    fit();
    preset("default");
  });

  const heatOn = root.querySelector(".cxrv-heat-on");
  const heat = root.querySelector(".cxrv-heat");
  if (heatOn && heat) {
    const opacity = root.querySelector(".cxrv-opacity");
    const legend = root.querySelector(".cxrv-legend-box");
    const show = () => {
      heat.hidden = !heatOn.checked;
      legend.hidden = !heatOn.checked;
      heat.style.opacity = opacity.value;
    };
    on(heatOn, "change", show);
    on(opacity, "input", show);
    show();
  }

  fit();
  preset("default");
  studies.forEach(async (study) => {
    study.codes = await decodeCodes(study);
    if (abort.signal.aborted) return;
    study.canvas.width = study.width;
    study.canvas.height = study.height;
    draw(study);
    study.canvas.dataset.ready = "true";
  });
  if (heat && payload.heatmap) {
    const current = payload.studies[1];
    inflate(payload.heatmap).then((levels) => {
      if (abort.signal.aborted) return;
      heat.width = current.width;
      heat.height = current.height;
      const context = heat.getContext("2d");
      const image = context.createImageData(current.width, current.height);
      levels.forEach((level, i) => {
        image.data.set([...payload.colours[level], level], 4 * i); // alpha = level: weight of the colour
      });
      context.putImageData(image, 0, 0);
    });
  }
}

mount();
watch("value", mount);
