import pytest

from sve_core import VARIANTS, SVEConfig, SVEConfigError


def test_defaults_follow_the_paper():
    config = SVEConfig()
    assert config.variant == "cross_ffn" and config.init_std == 0.0 and config.layers is None
    assert config.stop_gradient is True


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"variant": "nope"}, "variant='nope' is not one of"),
        ({"init_std": -1.0}, "init_std=-1.0"),
        ({"init_std": "big"}, "init_std='big'"),
        ({"layers": [1, 1]}, "distinct integer"),
        ({"stop_gradient": "yes"}, "stop_gradient"),
    ],
)
def test_bad_fields_name_the_field(fields, message):
    with pytest.raises(SVEConfigError, match=message):
        SVEConfig(**fields)


def test_round_trip_and_unknown_fields():
    for variant in VARIANTS:
        config = SVEConfig(variant=variant, init_std=1e-4, layers=[1, 0])
        assert SVEConfig.from_dict(config.to_dict()) == config
    with pytest.raises(SVEConfigError, match="unknown SVEConfig field"):
        SVEConfig.from_dict({"variant": "cross", "heads": 3})
