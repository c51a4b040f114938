"""Softmax with a temperature, computed the numerically stable way, as notebook 03 builds it.

The definitions below are saved from notebook 03 (`python -m lecture_utils sync`); edit them
there, not here.
"""

import math

import torch


def softmax_with_temperature(logits, temperature=1.0, dim=-1):
    """Probabilities from `logits` divided by `temperature`, along `dim`.

    The largest logit is subtracted first, so exp never sees a huge number: the result is
    the same (the shift cancels in the ratio) but cannot overflow to inf/inf = NaN.
    Temperature 1 is the model's own distribution; towards 0 it approaches a one-hot on the
    largest logit (ties share it); large temperatures flatten it towards uniform.
    """
    if isinstance(temperature, bool) or not isinstance(temperature, int | float):
        raise ValueError(f"temperature must be a number, got {temperature!r}. Use a finite "
                         f"number greater than 0, e.g. 1.0 for the model's own distribution.")
    if not math.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be a finite number greater than 0, got "
                         f"{temperature}. Use 1.0 for the model's own distribution, less "
                         f"than 1 (e.g. 0.5) for a peakier one, more than 1 (e.g. 2.0) for "
                         f"a flatter one.")
    logits = torch.as_tensor(logits)
    if not logits.is_floating_point():
        logits = logits.float()
    if torch.isnan(logits).any() or torch.isposinf(logits).any():
        raise ValueError("logits must not contain NaN or +inf (-inf is fine: it means "
                         "probability 0). Check the computation that produced them.")
    largest = logits.amax(dim=dim, keepdim=True)
    if torch.isneginf(largest).any():
        raise ValueError("every logit along the softmax dimension is -inf, so no outcome "
                         "has any probability. Leave at least one finite logit.")
    counts = ((logits - largest) / temperature).exp()
    return counts / counts.sum(dim=dim, keepdim=True)
