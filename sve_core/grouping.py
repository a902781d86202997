"""Which images belong to which sample, in what order, derived from the ordinary model inputs.

The vision tower only sees a list of *units* (a `grid_thw` row, or a batch row / tile). The language model's
`input_ids` hold one contiguous run of image-placeholder tokens per image, sample by sample, in the same order
the processor put the pixels in. Matching run lengths against the units' token counts recovers the images of
each sample (several tiles may form one image), so `model(**processor(...))` and `generate()` need nothing
extra. A batch may mix samples with different image counts.
"""

from __future__ import annotations

import itertools

import torch


class GroupingError(ValueError):
    """The image placeholders in `input_ids` do not match the images given to the vision tower."""


def image_runs(input_ids: torch.Tensor, image_token_id: int) -> list[list[int]]:
    """Per sample, the length of each contiguous run of image-placeholder tokens, in order."""
    runs: list[list[int]] = []
    for row in (input_ids == image_token_id).to(torch.int8).cpu():
        padded = torch.cat([torch.zeros(1, dtype=torch.int8), row, torch.zeros(1, dtype=torch.int8)])
        edges = torch.diff(padded)
        starts = torch.nonzero(edges == 1).flatten()
        ends = torch.nonzero(edges == -1).flatten()
        runs.append((ends - starts).tolist())
    return runs


def group_units(unit_llm_tokens: list[int], runs: list[list[int]]) -> tuple[list[list[int]], list[list[int]]]:
    """Assign consecutive units to images and images to samples.

    Returns (units of each image, images of each sample)."""
    image_units: list[list[int]] = []
    samples: list[list[int]] = []
    unit = 0
    for sample_runs in runs:
        images = []
        for run in sample_runs:
            members, covered = [], 0
            while covered < run and unit < len(unit_llm_tokens):
                members.append(unit)
                covered += unit_llm_tokens[unit]
                unit += 1
            if covered != run:
                raise GroupingError(
                    f"an image placeholder run of {run} tokens does not match the vision units "
                    f"({unit_llm_tokens} tokens each); were images and text built by the same processor?"
                )
            images.append(len(image_units))
            image_units.append(members)
        samples.append(images)
    if unit != len(unit_llm_tokens):
        raise GroupingError(f"{len(unit_llm_tokens) - unit} image unit(s) have no placeholder in input_ids")
    return image_units, samples


def predecessors(samples: list[list[int]], num_images: int) -> list[int]:
    """Image t reads image t-1 of the same sample; the first image of a sample reads itself (Z1 fallback)."""
    pred = list(range(num_images))
    for images in samples:
        for before, after in zip(images, images[1:], strict=False):
            pred[after] = before
    return pred


def units_of_images(num_units: int, units_per_image: list[int] | None) -> list[list[int]]:
    """Consecutive tower units of each image, given how many units (tiles, crops) each image spans; one unit
    an image when not given."""
    if units_per_image is None:
        return [[u] for u in range(num_units)]
    if sum(units_per_image) != num_units or min(units_per_image, default=1) < 1:
        raise GroupingError(f"units per image {list(units_per_image)} do not add up to the {num_units} tiles/rows "
                            "given to the vision tower; pass the image processor's num_patches (InternVL) or "
                            "num_crops (Gemma-3) for these very pixel_values")
    bounds = [0, *itertools.accumulate(units_per_image)]
    return [list(range(start, end)) for start, end in itertools.pairwise(bounds)]
