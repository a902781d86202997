"""Offline tokenizers and chat templates for the tiny models.

A byte-level BPE trained in milliseconds on a small built-in corpus (plus any domain text the caller passes), so
it can encode any string. Each family's special tokens are added as real special tokens and exposed under the
attribute names its processor reads (``image_token``, ``boi_token``, ``context_image_token``, ...), exactly as a
hub tokenizer exposes them. Chat templates render ``{"type": "image"}`` content parts the way the family's hub
template does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

BASE_CORPUS = (
    "the a an of in on to and is are was were has have with than from at by for no not what which where how "
    "image images first second third main reference previous current before after change changes changed "
    "nothing there difference differences describe describes left right top bottom middle center upper lower "
    "new added removed missing additional findings increased decreased resolved unchanged stable larger smaller "
    "red green blue yellow white black gray orange purple dot circle square triangle star object objects shape "
    "building buildings road roads house houses tree trees water river pond lake field bare land area scene "
    "pleural effusion cardiomegaly consolidation pneumothorax edema atelectasis opacity pneumonia lung lungs "
    "heart chest the main image has additional findings of than the reference image is missing the findings "
    "add remove replace adjust background move color colour turn into 0 1 2 3 4 5 6 7 8 9 . , : ; ? ! ' - ( )"
)


@dataclass
class Tokens:
    """Special tokens of one family's chat format.

    `named` maps the attribute names the family's processor reads (``image_token``, ``boi_token``, ...) to their
    token; `extra` lists further special tokens (turn markers, ...)."""

    pad: str
    eos: str
    template: str
    named: dict[str, str] = field(default_factory=dict)
    extra: tuple[str, ...] = ()
    bos: str | None = None


def chat_template(*, turn: str, generation_prompt: str, image: str, prefix: str = "",
                  roles: dict[str, str] | None = None) -> str:
    """A Jinja chat template: `prefix`, then each message as `turn` with ``{role}``/``{content}`` holes, image
    parts rendered as `image` in place, and `generation_prompt` when asked. `roles` renames roles (Gemma's
    "assistant" -> "model")."""
    role = "message['role']"
    for old, new in (roles or {}).items():
        role = f"('{new}' if message['role'] == '{old}' else {role})"
    content = (
        "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
        "{% for part in message['content'] %}{% if part['type'] == 'image' %}" + image +
        "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}"
    )
    body = turn.replace("{role}", "{{ " + role + " }}").replace("{content}", content)
    return (prefix + "{% for message in messages %}" + body + "{% endfor %}"
            "{% if add_generation_prompt %}" + generation_prompt + "{% endif %}")


def build_tokenizer(tokens: Tokens, vocab_size: int, corpus: Iterable[str] = (), *,
                    split_digits: bool = False) -> PreTrainedTokenizerFast:
    """A left-padding fast tokenizer whose special tokens are single ids and never split; with `split_digits`
    every digit is its own token, as in the Qwen and Llama hub tokenizers (a number is then read digit by digit,
    coarse to fine, instead of as one of a hundred unrelated "00".."99" tokens)."""
    special = [tokens.pad, tokens.eos, *([tokens.bos] if tokens.bos else []), *tokens.named.values(), *tokens.extra]
    special = list(dict.fromkeys(special))
    bpe = Tokenizer(models.BPE(unk_token=None))
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.pre_tokenizer = (pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), byte_level])
                         if split_digits else byte_level)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator([BASE_CORPUS, *corpus], trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token=tokens.eos, pad_token=tokens.pad,
                                        bos_token=tokens.bos, extra_special_tokens=dict(tokens.named))
    tokenizer.chat_template = tokens.template
    tokenizer.padding_side = "left"
    return tokenizer
