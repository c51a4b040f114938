"""Checks for a notebook's parameters cell, so a bad value stops the run at once with a
message that names the parameter, rather than failing deep inside training."""

from __future__ import annotations

import math


class ParameterError(ValueError):
    """A notebook parameter has a value the notebook cannot use."""


def _fail(name: str, wanted: str, value) -> None:
    raise ParameterError(
        f"Parameter {name} must be {wanted}, got {value!r}. Change it in the parameters "
        f"cell (or pass -p {name} VALUE to papermill)."
    )


def check_positive_int(**values) -> None:
    """Each value is a whole number > 0 (steps, batch sizes, widths)."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            _fail(name, "a whole number greater than 0", value)


def check_positive(**values) -> None:
    """Each value is a finite number > 0 (learning rates, scales)."""
    for name, value in values.items():
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if not is_number or not math.isfinite(value) or value <= 0:
            _fail(name, "a finite number greater than 0", value)


def check_fraction(**values) -> None:
    """Each value is a number in [0, 1) (dropout, fractions)."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
            _fail(name, "a number from 0 up to (not including) 1", value)


def check_choice(name: str, value, choices) -> None:
    """`value` is one of `choices`."""
    if value not in choices:
        _fail(name, "one of " + ", ".join(repr(c) for c in choices), value)
