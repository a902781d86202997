import pytest
import torch

from sve_core.grouping import GroupingError, group_units, image_runs, predecessors
from sve_core.layout import Layout

IMG = 9


def test_runs_per_sample_with_padding_and_separators():
    ids = torch.tensor([
        [0, 0, 1, IMG, IMG, 2, 1, IMG, IMG, 2, 5],
        [1, IMG, IMG, 2, 1, IMG, IMG, 2, 1, IMG, IMG],
    ])
    assert image_runs(ids, IMG) == [[2, 2], [2, 2, 2]]


def test_tiles_merge_into_images_and_samples_mix_counts():
    # sample 0: an image of 2 tiles then one of 1 tile; sample 1: three single-tile images
    image_units, samples = group_units([4, 4, 4, 4, 4, 4], [[8, 4], [4, 4, 4]])
    assert image_units == [[0, 1], [2], [3], [4], [5]]
    assert samples == [[0, 1], [2, 3, 4]]
    assert predecessors(samples, 5) == [0, 0, 2, 2, 3]


def test_mismatch_is_a_clear_error():
    with pytest.raises(GroupingError, match="does not match"):
        group_units([4, 4], [[3]])
    with pytest.raises(GroupingError, match="no placeholder"):
        group_units([4, 4], [[4]])


def test_layout_indices_with_a_cached_prefix():
    layout = Layout(spans=[(0, 3), (3, 2)], predecessors=[-1, 0], prefix=4)
    assert layout.kv_index.tolist() == [[0, 1, 2, 3], [4, 5, 6, 0]]
    assert layout.kv_valid.tolist() == [[True] * 4, [True, True, True, False]]
    assert layout.q_index.tolist() == [[4, 5, 6], [7, 8, 0]]
    assert not layout.uniform and layout.live.tolist() == [False, False]
    with pytest.raises(ValueError, match="contiguous"):
        Layout(spans=[(0, 3), (4, 2)], predecessors=[0, 0])
