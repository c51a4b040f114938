"""Checks for notebook 07's exercise (the hierarchical WaveNet-like model): a trained model beats
the lecture's validation loss. The evaluation is notebook 04's (`lecture_utils.check.mlp`):
the val split rebuilt as the notebook builds it, every example, the model left as it is."""

from __future__ import annotations

from lecture_utils.check._core import Result
from lecture_utils.check.mlp import held_out_loss

__all__ = ["beat_val_loss"]

LECTURE_VAL_LOSS = 1.993  # the lecture's performance log, final model (curriculum: val 1.993)


def beat_val_loss(model, loss, block_size: int = 8, bar: float = LECTURE_VAL_LOSS) -> Result:
    """Your trained model beats the lecture's validation loss (1.993, notebook 07's exercise).

    `model` is your model: a Sequential of the course's layers, a torch.nn.Module, or any
    function mapping a batch of contexts X, shape (n, block_size), to logits (n, 27), in
    evaluation mode; `loss` is the val loss you measured; `block_size` the context length the
    model reads (the notebook's is 8). The check rebuilds the val split as the notebook does,
    evaluates every example under torch.no_grad() without changing the model, and compares
    with `bar` (default: the lecture's figure; a sized-down run may set its own)."""
    return held_out_loss("beat_val_loss", model, loss, block_size, bar, "val", LECTURE_VAL_LOSS)
