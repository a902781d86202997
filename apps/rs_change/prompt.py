"""The instruction a change captioner is trained with (synthetic export) and asked at inference (predictor)."""

CHANGE_PROMPT = "Describe the changes between the two remote sensing images."
