"""What every check shares: the `Result` it returns and prints, how a learner's code is
called (its exceptions become hints, NotImplementedError means "not attempted yet"), and how
two numbers are said to differ without giving the reference away."""


from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass

import torch

RIGHT, WRONG, NOT_ATTEMPTED = "right", "wrong", "not attempted yet"


@dataclass(frozen=True)
class Result:
    """What a check found: `status` is "right", "wrong" or "not attempted yet"; `message`
    the line it printed. True only when right."""

    exercise: str
    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == RIGHT

    def __str__(self) -> str:
        return f"{self.status}: {self.exercise}: {self.message}"

    def _ipython_display_(self) -> None:
        """The line is already printed; as a cell's last value the result shows nothing more."""


def report(exercise: str, status: str, message: str) -> Result:
    result = Result(exercise, status, message)
    print(result)
    return result


class Wrong(Exception):
    """Raised inside a check with the hint for the learner; becomes a `wrong` Result."""


class NotAttempted(Exception):
    """Raised inside a check when the answer is still the notebook's placeholder."""


def run_check(exercise: str, body: Callable[[], str]) -> Result:
    """Run a check's body: its return value is the `right` message, Wrong and
    NotAttempted carry the others. NotImplementedError from the learner's code means the
    exercise is not attempted; any other exception in it is a wrong answer, named."""
    try:
        return report(exercise, RIGHT, body())
    except NotAttempted as exc:
        return report(exercise, NOT_ATTEMPTED, str(exc))
    except Wrong as exc:
        return report(exercise, WRONG, str(exc))
    except NotImplementedError:
        return report(exercise, NOT_ATTEMPTED, "your code raises NotImplementedError: replace it "
                       "with your answer, then run the cell again.")


def call_learner(what: str, fn: Callable, *args):
    """Call the learner's code; an exception it raises becomes a hint naming the call."""
    try:
        return fn(*args)
    except NotImplementedError:
        raise
    except Exception as exc:
        raise Wrong(f"{what} raised {type(exc).__name__}: {exc}") from None


def as_number(value) -> float | None:
    """A float from a learner's number (int, float, NumPy scalar, one-element tensor), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.item())
    return None


def is_value(obj) -> bool:
    """A micrograd Value: the package's, or the class a notebook defines (a different class
    object with the same protocol), or a subclass of either."""
    return all(hasattr(obj, name) for name in ("data", "grad", "_prev", "_backward", "backward"))


def close(a: float, b: float, rtol: float, atol: float) -> bool:
    return abs(a - b) <= atol + rtol * abs(b)


FACTORS = {2.0: "2", 0.5: "1/2", 3.0: "3", 1 / 3: "1/3", 4.0: "4", 0.25: "1/4", 10.0: "10",
           0.1: "1/10", math.log(10): "ln 10 (log10 where the natural log is meant?)",
           1 / math.log(10): "1/ln 10 (log10 where the natural log is meant?)"}


def how_off(yours: float, reference: float, rtol: float = 1e-6) -> str:
    """Why two numbers differ, as far as can be said without giving the reference away."""
    if math.isnan(yours):
        return "is NaN (a 0/0, inf - inf or log of a negative number somewhere?)"
    if math.isinf(yours):
        return "is infinite (an overflow, or a division by zero?)"
    if reference != 0 and close(-yours, reference, rtol, 1e-12):
        return "has the wrong sign"
    if reference != 0 and yours != 0:
        ratio = yours / reference
        for factor, name in FACTORS.items():
            for sign, word in ((1, ""), (-1, " and the wrong sign")):
                if close(sign * ratio, factor, 1e-6, 0):
                    return f"is off by a factor of {name}{word}"
    if reference != 0 and abs(yours - reference) <= 1e-3 * abs(reference):
        return (f"is close (within {abs(yours - reference) / abs(reference):.0e} relatively) but "
                "not equal: a numerical estimate or a rounded constant? Work it out exactly")
    if yours == 0:
        return "is 0, and it should not be"
    return "is not right"
