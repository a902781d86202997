"""Old name of `sve_core.tiny`, kept so code written against it keeps importing; new code imports
`sve_core.tiny`."""

from sve_core.tiny import FAMILIES, TinySpec, tiny_vlm

__all__ = ["FAMILIES", "TinySpec", "tiny_vlm"]
