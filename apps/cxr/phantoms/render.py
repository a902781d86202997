"""Draw a phantom visit as a radiograph: projected density, bright = dense (MONOCHROME2), in [0, 1].

Every structure is an analytic function of patient coordinates, so a visit's pose (shift, rotation, scale)
is one inverse transform of the pixel grid, and the patient's lung markings move with the patient. Organs
are projected ellipsoids (thickest in the middle, like a real projection); the lungs subtract density and
are pushed aside by the heart and mediastinum; findings fill lung air (effusion, consolidation, edema,
atelectasis), empty it of tissue (pneumothorax) or reshape an organ (cardiomegaly).

The findings are deliberately coarse so that a small model at 64-128 px can tell them apart: effusion = a
white base with a meniscus; cardiomegaly = a heart wider than half the thorax; consolidation = a dense patch
in the upper or mid zone; pneumothorax = a black rim without markings behind a pleural line; edema = a
symmetric perihilar haze; atelectasis = a plate-like band over a raised hemidiaphragm.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter

from apps.cxr.phantoms.patients import MIN_SEVERITY, Patient, Visit

_SOFT_TISSUE, _LUNG_AIR, _MARKINGS, _HEART, _MEDIASTINUM = 0.58, 0.40, 0.07, 0.22, 0.16
# Divides projected density into [0, 1]; the densest sum (spine behind the heart) stays just below it.
_FULL_SCALE = 1.2


def _grid(size: int, visit: Visit) -> tuple[np.ndarray, np.ndarray]:
    """Patient coordinates (x to the image right, y down, both in [-1, 1]) of each pixel after undoing the pose."""
    u = (np.arange(size, dtype=np.float32) + 0.5) / size * 2 - 1
    uu, vv = np.meshgrid(u, u)
    uu, vv = (uu - visit.shift[0]) / visit.scale, (vv - visit.shift[1]) / visit.scale
    return _rotate(uu, vv, visit.rotation_deg)


def _rotate(x: np.ndarray, y: np.ndarray, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    angle = np.deg2rad(degrees)
    cos, sin = np.float32(np.cos(angle)), np.float32(np.sin(angle))
    return cos * x + sin * y, -sin * x + cos * y


def _ellipsoid(x: np.ndarray, y: np.ndarray, cx: float, cy: float, ax: float, by: float) -> np.ndarray:
    """Projected thickness of an ellipsoid: 1 at its centre, 0 on and outside its outline."""
    return np.sqrt(np.clip(1 - ((x - cx) / ax) ** 2 - ((y - cy) / by) ** 2, 0, 1))


def _smoothstep(edge0: float, edge1: float, t: np.ndarray) -> np.ndarray:
    s = np.clip((t - edge0) / (edge1 - edge0), 0, 1)
    return s * s * (3 - 2 * s)


def _band(distance: np.ndarray, half_width: float) -> np.ndarray:
    return np.exp(-((distance / half_width) ** 2))


def _markings(x: np.ndarray, y: np.ndarray, width: float, seed: int) -> np.ndarray:
    """Vessel-like markings: wavy lines radiating from each hilum and tapering towards the periphery."""
    rng = np.random.default_rng(seed)
    wobble = np.zeros_like(x)
    for _ in range(8):
        freq, phase, theta = rng.uniform(3, 9), rng.uniform(0, 2 * np.pi), rng.uniform(0, np.pi)
        wobble += np.cos(freq * (np.cos(theta) * x + np.sin(theta) * y) + phase)
    markings = np.zeros_like(x)
    for side in (-1, 1):
        dx, dy = x - side * 0.22 * width, y + 0.02
        radius, angle = np.sqrt(dx**2 + dy**2), np.arctan2(dy, dx)
        markings += _band(np.cos(11 * angle + 0.5 * wobble + 4 * radius), 0.35) * np.exp(-radius / 0.35)
    return markings


def _lung_centre(width: float, side: int) -> tuple[float, float]:
    """Horizontal centre and half-width of one lung; the right lung (side -1, image left) is a bit wider."""
    return side * 0.45 * width, 0.42 * width * (1.04 if side < 0 else 0.98)


def _lung(x: np.ndarray, y: np.ndarray, width: float, side: int, dome: float) -> np.ndarray:
    """Air thickness of one lung above its hemidiaphragm, whose lateral ends sit at height `dome`."""
    cx, half = _lung_centre(width, side)
    diaphragm = dome - 0.15 * np.clip(1 - ((x - cx) / half) ** 2, 0, 1)
    return _ellipsoid(x, y, cx, 0.02, half, 0.76) ** 0.6 * _smoothstep(0.0, 0.03, diaphragm - y)


def render_frontal(patient: Patient, visit: Visit, size: int) -> np.ndarray:
    """(size, size) float32 frontal (PA/AP) radiograph of `patient` at `visit`, findings included."""
    x, y = _grid(size, visit)
    width, dome = patient.thorax_half_width, patient.dome_level + visit.inspiration
    body_half = width * 1.12 - (width * 1.12 - 0.3) * _smoothstep(-0.62, -1.0, y)
    density = _SOFT_TISSUE * np.sqrt(np.clip(1 - (x / body_half) ** 2, 0, 1))
    heart = _heart(x, y, patient, visit, dome)
    mediastinum = (1 - _smoothstep(0.09 * width, 0.14 * width, np.abs(x - 0.01))) * _smoothstep(
        dome - 0.25, dome - 0.45, y
    )
    knob = _ellipsoid(x, y, 0.12 * width, -0.26, 0.08, 0.07)
    displaced = np.clip(1.6 * heart + mediastinum + knob, 0, 1)
    markings = _markings(x, y, width, patient.texture_seed) * (1 + 1.5 * visit.findings.get("edema", 0.0))
    for side in (-1, 1):
        air, tissue = _lung_with_findings(x, y, patient, visit, side)
        density += (_MARKINGS * tissue * markings - _LUNG_AIR * air) * (1 - displaced)
    density += _HEART * heart + _MEDIASTINUM * mediastinum + 0.15 * knob + _skeleton(x, y, width, dome)
    density -= 0.2 * (1 - _smoothstep(0.025, 0.04, np.abs(x))) * _smoothstep(-0.3, -0.4, y)  # trachea
    density -= 0.22 * _ellipsoid(x, y, 0.45 * width, dome + 0.12, 0.12, 0.07)  # gastric bubble
    return _expose(density, visit, size)


def _heart(x: np.ndarray, y: np.ndarray, patient: Patient, visit: Visit, dome: float) -> np.ndarray:
    """Heart thickness; AP films magnify it a little, cardiomegaly a lot (cardiothoracic ratio ~0.45 -> 0.6+)."""
    severity = visit.findings.get("cardiomegaly")
    grow = 1.0 if severity is None else 1.3 + 0.4 * (severity - MIN_SEVERITY)
    magnify = (1.04 if visit.view == "AP" else 1.0) * patient.heart_size * grow
    width = patient.thorax_half_width
    hx, hy = _rotate(x - (0.08 + 0.12 * (grow - 1)) * width, y - (dome - 0.26), -20)
    return _ellipsoid(hx, hy, 0, 0, 0.42 * width * magnify, 0.23 * (1 + 0.4 * (magnify - 1))) ** 0.5


def _lung_with_findings(
    x: np.ndarray, y: np.ndarray, patient: Patient, visit: Visit, side: int
) -> tuple[np.ndarray, np.ndarray]:
    """One lung's air thickness after that side's findings filled or emptied it, and the lung tissue left
    (which carries the markings); the two differ only in a pneumothorax's empty rim."""
    findings, width = visit.findings, patient.thorax_half_width
    cx, half = _lung_centre(width, side)
    atelectasis = findings.get("atelectasis", 0.0) if side == patient.atelectasis_side else 0.0
    dome = patient.dome_level + visit.inspiration + (0.03 if side > 0 else 0.0) - 0.16 * atelectasis
    air = _lung(x, y, width, side, dome)
    tissue = air
    if atelectasis:
        plate = y - (dome - 0.3 + 0.15 * side * (x - cx) / width)
        lateral_half = np.abs(x - cx - side * 0.2 * half) < 0.7 * half  # clear of the heart's shadow
        air = air * (1 - _band(plate, 0.06 + 0.04 * atelectasis) * lateral_half)
    if "pneumothorax" in findings and side == patient.pneumothorax_side:
        shrink, hx, hy = 1 - (0.22 + 0.2 * findings["pneumothorax"]), side * 0.15 * width, -0.05
        collapsed = _lung(hx + (x - hx) / shrink, hy + (y - hy) / shrink, width, side, dome)
        rim = np.clip((air > 0.02).astype(np.float32) - (collapsed > 0.02), 0, 1)
        pleural_line = _band(collapsed - 0.04, 0.04) * (collapsed > 0)
        air = 0.8 * collapsed + rim * (np.maximum(air, 0.6) + 0.35) - 0.6 * pleural_line
        tissue = collapsed
    if "consolidation" in findings and side == patient.consolidation_side:
        radius = 0.1 + 0.08 * findings["consolidation"]
        air = air * (1 - 0.9 * _patch(x, y, cx, patient.consolidation_zone, radius, patient.texture_seed))
    if "pleural effusion" in findings and side == patient.effusion_side:
        lateral = cx + side * half
        surface = dome - 0.2 - 0.4 * findings["pleural effusion"] + 0.25 * ((x - lateral) / (2 * half)) ** 2
        air = air * (1 - _smoothstep(-0.01, 0.04, y - surface))
    if "edema" in findings:
        spread = ((x - side * 0.26 * width) / (0.24 * width)) ** 2 + ((y + 0.02) / 0.34) ** 2
        air = air * (1 - min(0.9, 0.45 + 0.45 * findings["edema"]) * np.exp(-spread / 2))
    return air, np.minimum(tissue, air)


def _patch(x: np.ndarray, y: np.ndarray, cx: float, cy: float, radius: float, seed: int) -> np.ndarray:
    """A lobulated opacity: a few overlapping blobs around (cx, cy), the same shape on every visit."""
    rng = np.random.default_rng(seed + 1)
    patch = np.zeros_like(x)
    for _ in range(5):
        dx, dy, r = rng.normal(0, 0.5 * radius), rng.normal(0, 0.4 * radius), radius * rng.uniform(0.6, 1.0)
        patch = np.maximum(patch, np.exp(-((x - cx - dx) ** 2 + (y - cy - dy) ** 2) / (2 * (r / 1.5) ** 2)))
    return _smoothstep(0.25, 0.6, patch)


def _skeleton(x: np.ndarray, y: np.ndarray, width: float, dome: float) -> np.ndarray:
    """Spine, posterior ribs and clavicles: the same on every visit, they teach the model what to ignore."""
    spine = 0.07 * (1 - _smoothstep(0.06, 0.09, np.abs(x))) * (0.7 + 0.3 * np.cos(2 * np.pi * y / 0.11))
    lateral = np.abs(x) / width
    ribs = np.zeros_like(x)
    for level in np.linspace(-0.66, dome - 0.08, 9):
        ribs = np.maximum(ribs, _band(y - (level - 0.08 * lateral + 0.3 * lateral**3), 0.022))
    ribs *= (lateral < 1.02) & (np.abs(x) > 0.07)
    clavicles = _band(y - (-0.62 - 0.14 * lateral), 0.028) * (lateral < 0.8) * (np.abs(x) > 0.04)
    return spine + 0.08 * ribs + 0.16 * clavicles


def render_lateral(patient: Patient, visit: Visit, size: int) -> np.ndarray:
    """(size, size) float32 lateral view (patient facing image left): a distractor a study loader must skip."""
    x, y = _grid(size, visit)
    depth, dome = 0.8 * patient.thorax_half_width, patient.dome_level + visit.inspiration
    density = 0.64 * np.sqrt(np.clip(1 - (x / depth) ** 2, 0, 1))
    lung = _ellipsoid(x, y, 0.02, 0.0, 0.78 * depth, 0.74) ** 0.6 * _smoothstep(
        0.0, 0.03, dome - 0.1 - y + 0.2 * x
    )
    heart = _ellipsoid(x, y, -0.3 * depth, dome - 0.22, 0.36 * depth, 0.26) ** 0.5
    spine = (1 - _smoothstep(0.07, 0.1, np.abs(x - 0.62 * depth))) * (
        0.7 + 0.3 * np.cos(2 * np.pi * y / 0.11)
    )
    density += 0.25 * heart - 0.45 * lung * (1 - np.clip(1.5 * heart, 0, 1)) + 0.25 * spine
    density += 0.15 * _band(x + 0.85 * depth, 0.02) * (np.abs(y) < 0.5)  # sternum
    return _expose(density, visit, size)


def _expose(density: np.ndarray, visit: Visit, size: int) -> np.ndarray:
    """Detector response for this visit: exposure gain, focal-spot blur and quantum noise, clipped to [0, 1]."""
    image = gaussian_filter(density * visit.gain / _FULL_SCALE, sigma=0.6 * size / 256)
    image += np.random.default_rng(visit.noise_seed).normal(0, visit.noise, image.shape).astype(np.float32)
    return np.clip(image, 0, 1).astype(np.float32)
