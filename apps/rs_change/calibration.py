"""`ChangeCalibration`: the thresholds that turn a model's p(change) and change map into flags and polygons,
chosen on a validation split and stored next to the model as `change_calibration.json`
(`apps.common.calibration.Calibration`, with the change-map threshold added).

    sve rs calibrate --data runs/data/rs --split val --out apps/rs_change/demo_model/change_calibration.json

`threshold` is the p(change) at or above which a tile is flagged changed: the one that maximises F1 of the
flags against `meta.changeflag` on the split (ties: the higher threshold). `map_threshold` is the change-map
value (raw SVE key dissimilarity, `sve_core.inference`) at or above which a pixel of a flagged tile belongs to a
change polygon: the one that maximises pixel F1 against the generator's change masks on the split's changed
pairs. The precision and recall each reaches there are stored with it, so the report can state them. A model
without the file runs on the defaults, reported as uncalibrated. `both_ways` records that the threshold was
chosen on p(change) read both ways (`describe.verdict.either_way`), as it is now applied; a file written before
that reading says so in every report, with the command that rewrites it.
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.common.calibration import Calibration
from apps.rs_change.errors import SceneError

FILENAME = "change_calibration.json"


@dataclass(frozen=True)
class ChangeCalibration(Calibration):
    FILENAME = FILENAME
    SCORE = "p(change)"
    COMMAND = "sve rs calibrate"
    ERROR = SceneError

    map_threshold: float = 0.5  # change-map value at or above which a flagged tile's pixel is in a polygon
    pixel_f1: float | None = None  # change-map pixels of the split's changed pairs, at `map_threshold`
    both_ways: bool = False  # chosen on p(change) read both ways; False: an older file, chosen on one way

    def __post_init__(self) -> None:
        super().__post_init__()
        if not isinstance(self.both_ways, bool):
            raise self.ERROR(f"calibration both_ways={self.both_ways!r}: expected true or false")

    def describe(self) -> str:
        line = super().describe()
        if self.calibrated and not self.both_ways:
            line += (f" (chosen on p(change) read one way, by an older version; run `{self.COMMAND}` again for "
                     "the threshold of p(change) as it is read now, both ways)")
        return line
