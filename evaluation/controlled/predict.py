"""Running a trained model over a task split: greedy answers and token-weighted answer perplexity.

Generation goes through the apps' own `Describer` (one `generate` call per batch of samples that share a
prompt), and the loss through the trainer's `token_nll` with the training collator, so a score here measures
exactly the model and the input format the apps ship.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import torch
from tqdm.auto import tqdm
from transformers import PreTrainedModel, ProcessorMixin

from evaluation.controlled.metrics import perplexity
from sve_core.collator import SFTCollator, load_image
from sve_core.data import IMAGE_PLACEHOLDER, Sample
from sve_core.inference import Describer
from sve_core.trainer import token_nll


def prompt_of(sample: Sample) -> str:
    return sample.messages[-2].content.replace(IMAGE_PLACEHOLDER, "")


def reference_of(sample: Sample) -> str:
    return sample.messages[-1].content


@torch.no_grad()
def generate_answers(model: PreTrainedModel, processor: ProcessorMixin, samples: Sequence[Sample], *,
                     batch_size: int = 32, max_new_tokens: int = 48, progress: bool = False) -> list[str]:
    """Greedy answers, in the order of `samples`."""
    describer = Describer(model, processor, name="probe", max_new_tokens=max_new_tokens)
    by_prompt: dict[str, list[int]] = defaultdict(list)
    for i, sample in enumerate(samples):
        by_prompt[prompt_of(sample)].append(i)
    chunks = [(prompt, idx[k:k + batch_size]) for prompt, idx in by_prompt.items()
              for k in range(0, len(idx), batch_size)]
    answers: list[str] = [""] * len(samples)
    was_training = model.training
    model.eval()
    for prompt, indices in tqdm(chunks, desc="generate", disable=not progress, leave=False):
        sequences = [[load_image(str(p)) for p in samples[i].images] for i in indices]
        for i, text in zip(indices, describer.describe_batch(sequences, prompt), strict=True):
            answers[i] = text
    model.train(was_training)
    return answers


@torch.no_grad()
def answer_perplexity(model: PreTrainedModel, processor: ProcessorMixin, samples: Sequence[Sample], *,
                      batch_size: int = 32) -> float:
    """exp(total answer-token NLL / answer tokens) over `samples` (answers and end-of-turn tokens)."""
    collator = SFTCollator(processor)
    was_training = model.training
    model.eval()
    total, tokens = 0.0, 0
    for k in range(0, len(samples), batch_size):
        batch = collator(list(samples[k:k + batch_size]))
        labels = batch.pop("labels")
        nll, count = token_nll(model(**batch).logits, labels)
        total += float(nll.sum())
        tokens += int(count.sum())
    model.train(was_training)
    return perplexity(total, tokens)
