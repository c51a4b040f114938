"""The maths of one attention head, hand-written for the package: no notebook cell is saved
here. Notebook 08 derives attention in its own cells, up to its "version 4" (q @ k^T, the
causal mask, a softmax); from its note 4 on it imports `attention_weights` and `attention`
from here, checks that they reproduce version 4, and uses them for encoder versus decoder
and cross-attention. The attention explorer (lecture_utils.widgets.attention) draws with
`attention_weights` and `row_entropy`.

`attention_weights(q, k)` turns queries and keys into the (..., T, T) matrix of how much each
position takes from each other position: scores q @ k^T, optionally multiplied by
head_size**-0.5 (so that their variance stays about 1) and by an extra `scale` (to watch
softmax saturate), the future masked out when `causal`, and a softmax over the last
dimension so that every row sums to 1. `attention(q, k, v)` applies those weights to the
values. Both accept any leading batch/head dimensions and agree with
torch.nn.functional.scaled_dot_product_attention (tests/test_attention.py checks).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _check_qk(q: torch.Tensor, k: torch.Tensor, scale: float) -> None:
    if q.dim() < 2 or k.dim() < 2:
        raise ValueError(f"q and k need shape (..., T, head_size); got q {tuple(q.shape)} "
                         f"and k {tuple(k.shape)}.")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"q and k must have the same head_size (last dimension); got q "
                         f"{tuple(q.shape)} and k {tuple(k.shape)}.")
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not (
        math.isfinite(scale) and scale > 0
    ):
        raise ValueError(f"scale must be a finite number greater than 0, got {scale!r}.")


def attention_scores(q: torch.Tensor, k: torch.Tensor, scaled: bool = True,
                     scale: float = 1.0) -> torch.Tensor:
    """The raw (pre-mask, pre-softmax) scores q @ k^T, times head_size**-0.5 when `scaled`,
    times `scale`; shape (..., T_q, T_k)."""
    _check_qk(q, k, scale)
    factor = scale * (q.shape[-1] ** -0.5 if scaled else 1.0)
    return (q @ k.transpose(-2, -1)) * factor


def causal_mask(t_q: int, t_k: int | None = None, device=None) -> torch.Tensor:
    """Boolean (T_q, T_k) lower-triangular mask: position i may look at positions 0..i."""
    t_k = t_q if t_k is None else t_k
    return torch.ones(t_q, t_k, dtype=torch.bool, device=device).tril()


def attention_weights(q: torch.Tensor, k: torch.Tensor, causal: bool = True, scaled: bool = True,
                      scale: float = 1.0) -> torch.Tensor:
    """Attention weights for queries q (..., T_q, head_size) and keys k (..., T_k, head_size).

    causal: mask the future (position i sees only 0..i), as in a decoder; False lets every
        position see every other one, as in an encoder.
    scaled: multiply the scores by head_size**-0.5 ("scaled dot-product attention").
    scale: an extra factor on the scores; large values make softmax saturate (one-hot rows).

    Returns (..., T_q, T_k) weights; each row is a probability distribution over keys.
    """
    scores = attention_scores(q, k, scaled=scaled, scale=scale)
    if causal:
        mask = causal_mask(q.shape[-2], k.shape[-2], device=q.device)
        scores = scores.masked_fill(~mask, float("-inf"))
    return F.softmax(scores, dim=-1)


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool = True,
              scaled: bool = True, scale: float = 1.0) -> torch.Tensor:
    """The output of attention: `attention_weights(q, k, ...) @ v`, shape (..., T_q, v_size)."""
    if v.shape[-2] != k.shape[-2]:
        raise ValueError(f"k and v need the same number of positions; got k "
                         f"{tuple(k.shape)} and v {tuple(v.shape)}.")
    return attention_weights(q, k, causal=causal, scaled=scaled, scale=scale) @ v


def row_entropy(weights: torch.Tensor) -> torch.Tensor:
    """Entropy in nats of each row of attention weights (0 for a one-hot row, ln n for a
    uniform row over n positions); masked positions (weight 0) contribute nothing."""
    return -(weights * weights.clamp_min(1e-30).log()).sum(-1)
