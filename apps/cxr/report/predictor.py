"""`CxrPredictor`: the chest X-ray change model behind `sve cxr report` and the UI tab, loaded once; no Gradio.

`predict(prior, current)` and `predict_series([study, ...])`:
1. `load_series` reads each study (a file, a folder, a zip, or several files of one study), keeps the frontal
   image and runs the comparison validity check (`apps.cxr.dicom.validity`: chest radiographs only, one patient,
   distinct studies, date order, view limitations), whose verdict travels in the result to every output;
2. each image goes through `model_input`: `model_transform(size)` (long side to `size`, zero-padded square) as
   8-bit grey, the pipeline the phantom dataset and `medical_diff_vqa_to_jsonl` write training images with;
3. the model answers `CHANGE_QUESTION`; `report.Comparison` reads the answer into the change sets, the
   radiology-worded report and the 27-finding table;
4. the change heatmap (SVE cross-attention, `sve_core.inference`; None for stateless models) is cut back from
   the padded square to the current image's own pixel grid.

Series (three or more studies) are reported study to study. Step k (study k-1 -> study k) asks the question
over studies 1..k, oldest first: the SVE encodes each image against the one before it, so the state reaches
study k through every earlier study, and the answer and heatmap are about the last pair. The first step is
exactly the pair question. A model fine-tuned on pairs only (the demo model, Medical-Diff-VQA) never saw three
or more images in one prompt, so its later steps run outside its training distribution; train on series
records before relying on them.

The result holds `CxrImage`s (pixels plus an allow-listed `CxrMeta`) and neutral study names only: nothing in
it can carry a patient's name, ID, date or UID.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
from PIL import Image

from apps.common.predictor import DescriberBacked, load_app_describer
from apps.cxr.dicom.image import CxrImage
from apps.cxr.dicom.studies import Study, StudySeries, load_series, load_study
from apps.cxr.dicom.transforms import model_transform
from apps.cxr.dicom.validity import STRICT, ValidityPolicy, check_comparison
from apps.cxr.errors import DicomError
from apps.cxr.phantoms.patients import CHANGE_QUESTION
from apps.cxr.report.result import Comparison, CxrResult, Step, grey_image
from sve_core.data import IMAGE_PLACEHOLDER
from sve_core.inference import Describer, Request

DEMO_MODEL_DIR = Path(__file__).resolve().parents[1] / "demo_model"
DEMO_INPUT_SIZE = 96  # make-dataset's default --size: the demo model's training images
INPUT_SIZE = 512  # medical_diff_vqa_to_jsonl's default --size, for models trained on Medical-Diff-VQA
QUESTION = CHANGE_QUESTION.replace(IMAGE_PLACEHOLDER, "")

StudySource = str | Path | Sequence[str | Path]  # a file, folder or zip; or several files of one study


class CxrPredictor(DescriberBacked):
    """One describer shared by every request (it serialises generation itself)."""

    def __init__(self, describer: Describer, *, size: int = DEMO_INPUT_SIZE) -> None:
        self.describer = describer
        self.size = size

    @classmethod
    def load(cls, model: str | None, *, size: int | None = None, max_new_tokens: int = 64) -> CxrPredictor:
        """`model` (hub id, local folder, ``tiny:<family>``), or the embedded demo model when None. `size` is the
        side of the square model input; by default `DEMO_INPUT_SIZE` for the demo, `INPUT_SIZE` otherwise."""
        describer = load_app_describer(model, DEMO_MODEL_DIR, max_new_tokens=max_new_tokens)
        if size is None:
            size = DEMO_INPUT_SIZE if model is None else INPUT_SIZE
        return cls(describer, size=size)

    def predict(
        self, prior: StudySource, current: StudySource, *, policy: ValidityPolicy = STRICT
    ) -> CxrResult:
        """Compare two studies of one patient; raises `DicomError` naming the input that cannot be used."""
        return self.predict_series([prior, current], policy=policy)

    def predict_series(
        self, sources: Sequence[StudySource], *, policy: ValidityPolicy = STRICT
    ) -> CxrResult:
        """Compare each study with the one before it, in date order (see the module docstring)."""
        if len(sources) < 2:
            raise ValueError(f"expected at least 2 studies to compare, got {len(sources)}")
        with ExitStack() as stack:
            paths = [_one_path(source, stack) for source in sources]
            series = load_series(paths, policy)
        return self.predict_studies(series)

    def predict_studies(self, series: StudySeries | Sequence[Study]) -> CxrResult:
        """`predict_series` on studies already loaded, for callers that check the files before loading a model
        (the CLI, so a wrong path fails at once; PACS retrieval). Studies without their `StudySeries` (e.g. from
        `load_studies`) are checked again, so the result carries the same warnings and limitations."""
        if not isinstance(series, StudySeries):
            studies = list(series)
            relaxed = ValidityPolicy(allow_patient_mismatch=True)  # the caller's loader already decided
            validity = check_comparison([s.facts for s in studies], relaxed, names=[s.source for s in studies])
            series = StudySeries(studies=[studies[i] for i in validity.order], validity=validity)
        images = [study.image for study in series.studies]
        inputs = [model_input(image, self.size) for image in images]
        requests = [Request(inputs[: current + 1], QUESTION) for current in range(1, len(images))]
        steps = []
        for current, description in enumerate(self.describer.predict(requests, heatmaps=True), start=1):
            heatmap = description.heatmaps[current]
            if heatmap is not None:
                heatmap = self._on_image(heatmap, images[current].pixels.shape)
            steps.append(Step(current - 1, current, Comparison.from_answer(description.text), heatmap))
        return CxrResult(
            images=images, steps=steps, model=self.name, demo=self.demo, validity=series.validity
        )

    def _on_image(self, heatmap: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """A heatmap over the padded model input -> the same map over the original (H, W) image. The image's
        place in the square is probed by running an all-ones image through the same transform, rather than
        re-deriving MONAI's resize and pad arithmetic."""
        inside = model_transform(self.size)(np.ones(shape, dtype=np.float32))[0] > 0.5
        rows, columns = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
        crop = heatmap[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1].astype(np.float32)
        return np.asarray(Image.fromarray(crop).resize((shape[1], shape[0]), Image.BILINEAR))


def check_study(source: StudySource, policy: ValidityPolicy = STRICT) -> Study:
    """One study through ingestion and the per-image validity check, without a model: what the UI runs on each
    upload, so a refusal shows next to the upload that caused it."""
    with ExitStack() as stack:
        return load_study(_one_path(source, stack), policy)


def model_input(image: CxrImage, size: int) -> Image.Image:
    """What the model sees of a radiograph: `model_transform(size)` as 8-bit grey. Training images are written
    through it too (`medical_diff_vqa_to_jsonl`), so a model meets at inference the geometry it learned."""
    return grey_image(model_transform(size)(image.pixels)[0])


def _one_path(source: StudySource, stack: ExitStack) -> Path:
    """A path `load_study` reads. Several files of one study (a folder's files uploaded together; a browser
    keeps each in its own folder) are linked into one temporary folder, each under its own sub-folder so that
    equal names cannot collide, and removed when `stack` closes."""
    if isinstance(source, str | Path):
        return Path(source)
    files = [Path(path) for path in source]
    if not files:
        raise DicomError("a study was given as an empty list of files; expected its image files or one zip")
    if len(files) == 1:
        return files[0]
    if any(path.suffix.lower() == ".zip" for path in files):
        raise DicomError("give a study as one zip or as its image files, not a zip among other files")
    folder = Path(stack.enter_context(TemporaryDirectory(prefix="sve_cxr_")))
    for number, path in enumerate(files):
        (folder / str(number)).mkdir()
        (folder / str(number) / path.name).symlink_to(path.resolve())
    return folder
