"""Fine-tuning the text encoder end to end on our corpus, kept small: only the encoder's biases and layer-norm
weights learn (BitFit), with a linear layer over [pooled text, signals] on top during training. What it learns
is a delta of about 30,000 numbers, written beside the head (`encoder-delta.safetensors`) and laid over the
packaged weights at load time, after both files' sha256 are checked. The packaged encoder itself never changes.

Seeded and bounded: the same examples, seed and CPU give the same delta; training stops after `epochs` or
`max_seconds`, whichever comes first."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence

import numpy as np

from classifiers.corpus import Example
from classifiers.decision import LABELS
from classifiers.encoder import Encoder
from classifiers.features import FEATURE_NAMES, extract, normalise_text

log = logging.getLogger(__name__)

__all__ = ["fine_tune", "is_tuned"]

EPOCHS = 2
BATCH = 32
MAX_LENGTH = 64  # tokens; posts are short, and shorter sequences train faster
LEARNING_RATE = 3e-3
HEAD_LEARNING_RATE = 1e-2


def is_tuned(name: str) -> bool:
    """The parameters that fine-tuning changes: biases and layer norms (BitFit)."""
    return name.endswith(".bias") or "LayerNorm" in name


def fine_tune(examples: Sequence[Example], encoder: Encoder, *, seed: int = 0, epochs: int = EPOCHS,
              max_seconds: float = 480.0) -> dict[str, np.ndarray]:
    """Train `encoder` (loaded in float32) in place on `examples`' labels and return the delta: the tuned
    parameters by name, as float32 arrays."""
    import torch

    if encoder.model_ is None or encoder.precision_ != "fp32":
        raise ValueError("fine-tuning needs the encoder loaded in float32")
    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = encoder.model_
    texts = [normalise_text(e.mention.text, e.brand) for e in examples]
    signals = np.asarray([extract(e.mention, e.brand).vector() for e in examples], dtype=np.float32)
    mean, scale = signals.mean(axis=0), np.where(signals.std(axis=0) < 1e-6, 1.0, signals.std(axis=0))
    features = torch.from_numpy((signals - mean) / scale)
    labels = torch.tensor([LABELS.index(e.label) for e in examples])
    tuned = [p for n, p in model.named_parameters() if is_tuned(n)]
    for name, p in model.named_parameters():
        p.requires_grad_(is_tuned(name))
    linear = torch.nn.Linear(encoder.dim + len(FEATURE_NAMES), len(LABELS))
    optimiser = torch.optim.AdamW([{"params": tuned, "lr": LEARNING_RATE, "weight_decay": 0.0},
                                   {"params": linear.parameters(), "lr": HEAD_LEARNING_RATE}])
    # Batches of similar length waste little on padding; their order is shuffled by the seed.
    order = sorted(range(len(texts)), key=lambda i: (len(texts[i]), i))
    batches = [order[i : i + BATCH] for i in range(0, len(order), BATCH)]
    started = time.monotonic()
    steps = epochs * len(batches)
    step = 0
    # Where the CPU computes bfloat16 natively, the forward and backward passes run in it (about three times
    # faster); the tuned parameters and the optimiser stay in float32.
    fast = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    model.train()
    with torch.enable_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=fast):
        for epoch in range(epochs):
            rng.shuffle(batches)
            total, seen = 0.0, 0
            for idx in batches:
                for group, base in zip(optimiser.param_groups, (LEARNING_RATE, HEAD_LEARNING_RATE), strict=True):
                    group["lr"] = base * (1 - step / steps)  # linear decay to zero
                enc = encoder.tokenizer_([texts[i] for i in idx], padding=True, truncation=True,
                                         max_length=MAX_LENGTH, return_tensors="pt")
                hidden = model(**enc).last_hidden_state.float()
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9), dim=1)
                logits = linear(torch.cat([pooled * 10, features[idx]], dim=1))
                loss = torch.nn.functional.cross_entropy(logits, labels[idx])
                optimiser.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]  # untyped in torch
                optimiser.step()
                total += float(loss.detach()) * len(idx)
                seen += len(idx)
                step += 1
                if time.monotonic() - started > max_seconds:
                    break
            log.info("fine-tuning epoch %d: loss %.4f over %d examples (%.0f s)", epoch + 1, total / max(seen, 1), seen,
                     time.monotonic() - started)
            if time.monotonic() - started > max_seconds:
                log.warning("fine-tuning stopped at its time limit (%.0f s) after %d of %d steps", max_seconds,
                            step, steps)
                break
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return {n: p.detach().float().numpy().copy() for n, p in model.named_parameters() if is_tuned(n)}
