"""Checks for notebook 01's exercises: derivatives by hand and by nudging, new `Value`
operations against torch.autograd, a softmax over `Value`s."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from lecture_utils.check._core import (
    NotAttempted,
    Result,
    Wrong,
    as_number,
    call_learner,
    close,
    how_off,
    is_value,
    run_check,
)
from lecture_utils.micrograd import Value, topological_order

__all__ = ["central_difference", "derivative", "log", "numerical_gradient", "sigmoid",
           "softmax", "value_operation"]

# ---------------------------------------------------------------------------------------------
# Derivatives: notebook 01, section 1
# ---------------------------------------------------------------------------------------------


def _arguments(x) -> tuple[float, ...]:
    return tuple(float(v) for v in x) if isinstance(x, Sequence) else (float(x),)


def _input_names(f: Callable, count: int) -> list[str]:
    try:
        names = list(inspect.signature(f).parameters)
    except (TypeError, ValueError):
        names = []
    return names if len(names) == count else [f"input {i}" for i in range(count)]


def central_difference(f: Callable, args: Sequence[float], i: int) -> float:
    """∂f/∂args[i] by a centred difference with a step scaled to the input: accurate to
    about 1e-9 relatively for smooth functions of moderate size."""
    h = 1e-5 * max(1.0, abs(args[i]))
    up = [*args[:i], args[i] + h, *args[i + 1:]]
    down = [*args[:i], args[i] - h, *args[i + 1:]]
    return (f(*up) - f(*down)) / (2 * h)


def derivative(f: Callable, x, answer, rtol: float = 1e-6) -> Result:
    """Your derivative of `f` at `x`, worked out by hand, against a centred finite difference.

    `x` is a number for a function of one input, or a tuple of numbers; `answer` is a number
    (one input), a list of the partial derivatives in the order of f's inputs, or a function
    taking the same inputs as `f` and returning either.
    """

    def body() -> str:
        args = _arguments(x)
        names = _input_names(f, len(args))
        given = call_learner("your derivative", answer, *args) if callable(answer) else answer
        if given is None or given is Ellipsis:
            raise NotAttempted("your answer is still None: work out the derivative, return it, "
                                "and run the cell again.")
        values = list(given) if isinstance(given, Sequence) else [given]
        if all(v is None for v in values):
            raise NotAttempted("every entry of your answer is still None.")
        if len(values) != len(args):
            raise Wrong(f"your answer has {len(values)} number(s), f has {len(args)} input(s): "
                         f"give one partial derivative per input ({', '.join(names)}), in order.")
        numbers = [as_number(v) for v in values]
        for name, value, number in zip(names, values, numbers):
            if number is None:
                raise Wrong(f"the derivative for {name} is {value!r}, not a number.")
        references = [central_difference(f, args, i) for i in range(len(args))]
        wrong = [(name, number, ref) for name, number, ref in zip(names, numbers, references)
                 if not close(number, ref, rtol, 1e-8)]
        if not wrong:
            what = ("the derivative agrees" if len(args) == 1
                    else f"all {len(args)} partial derivatives agree")
            return f"{what} with a centred finite difference at {_shown(args)}."
        if len(args) == 1:
            name, number, ref = wrong[0]
            fname = f.__name__ if getattr(f, "__name__", "<lambda>").isidentifier() else "f"
            raise Wrong(f"{fname}'({_shown(args)}) = {number:.6g} {how_off(number, ref)}.")
        fname = f.__name__ if getattr(f, "__name__", "<lambda>").isidentifier() else "f"
        parts = []
        for name, number, ref in wrong:
            how = how_off(number, ref)
            if how == "is not right":
                how += f" (look again at the terms that contain {name})"
            parts.append(f"∂{fname}/∂{name} = {number:.6g} {how}")
        right = len(args) - len(wrong)
        tail = f" ({right} of {len(args)} right)" if right else ""
        raise Wrong("; ".join(parts) + tail + ".")

    return run_check("derivative", body)


def _shown(args: Sequence[float]) -> str:
    return ", ".join(f"{a:g}" for a in args) if len(args) > 1 else f"{args[0]:g}"


# The functions and points numerical_gradient tries, and the step it passes.
_GRADIENT_CASES = [
    (lambda a, b: a**3 * b + b**2, (1.5, -2.0)),
    (lambda a, b, c: a * b - c**3 + 1.0 / a, (0.5, 3.0, -1.25)),
    (lambda t: t**4, (1.0,)),
]
_GRADIENT_STEP = 1e-3


def numerical_gradient(estimate: Callable, centred: bool = False) -> Result:
    """Your estimate of a gradient by nudging, `estimate(f, args, h)` returning one slope per
    input: one-sided differences, or centred ones with `centred=True`. It is run on a few
    functions of one to three inputs and compared with the same difference worked out here."""
    kind = "centred" if centred else "one-sided"

    def slopes(f, args, h, how):
        out = []
        for i in range(len(args)):
            up = [*args[:i], args[i] + h, *args[i + 1:]]
            down = [*args[:i], args[i] - h, *args[i + 1:]]
            if how == "one-sided":
                out.append((f(*up) - f(*args)) / h)
            elif how == "centred":
                out.append((f(*up) - f(*down)) / (2 * h))
            elif how == "exact":
                out.append(central_difference(f, args, i))
            elif how == "not divided":
                out.append(f(*up) - f(*args))
            elif how == "centred over h":
                out.append((f(*up) - f(*down)) / h)
            elif how == "all at once":
                out.append((f(*[a + h for a in args]) - f(*args)) / h)
        return out

    def matches(values, expected):
        return all(close(v, e, 1e-7, 1e-9) for v, e in zip(values, expected))

    hints = {
        "exact": "these are the exact derivatives: estimate them by nudging each input by h, "
                 "without calculus",
        "not divided": "these are the changes in f, not slopes: divide by the size of the nudge",
        "centred over h": "a centred difference spans 2h, from x - h to x + h: divide by that",
        "all at once": "every slope nudges all inputs at once: nudge one input, keep the others",
        "one-sided": "these are one-sided differences; this exercise wants the nudge centred on x",
        "centred": "these are centred differences, more accurate, but this exercise asks for the "
                   "one-sided slope of section 1 (keep yours for the next one)",
    }

    def body() -> str:
        for f, args in _GRADIENT_CASES:
            given = call_learner(f"your function on a function of {len(args)} input(s)", estimate,
                          f, args, _GRADIENT_STEP)
            if given is None:
                raise NotAttempted("your function returns None: compute one slope per input, "
                                    "return them as a list, and run the cell again.")
            values = list(given) if isinstance(given, Sequence) else [given]
            if len(values) != len(args):
                raise Wrong(f"for a function of {len(args)} input(s) your function returned "
                             f"{len(values)} number(s): one slope per input.")
            numbers = [as_number(v) for v in values]
            if any(n is None for n in numbers):
                raise Wrong(f"your function returned {values!r}: the slopes must be numbers.")
            if any(math.isnan(n) for n in numbers):
                raise Wrong("your function returned NaN.")
            if matches(numbers, slopes(f, args, _GRADIENT_STEP, kind)):
                continue
            for other, hint in hints.items():
                if other != kind and matches(numbers, slopes(f, args, _GRADIENT_STEP, other)):
                    raise Wrong(hint + ".")
            raise Wrong(f"on a function of {len(args)} input(s) your slopes are not the "
                         f"{kind} differences with step h (is h the argument you were given?).")
        return f"{kind} differences, right on functions of 1, 2 and 3 inputs."

    return run_check("numerical_gradient", body)


# ---------------------------------------------------------------------------------------------
# New Value operations: notebook 01, section 6
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Operation:
    name: str
    torch_fn: Callable[[torch.Tensor], torch.Tensor]
    inputs: tuple[float, ...]  # ordinary inputs first, then the edge cases
    edge_hint: str = ""  # what goes wrong at the edge inputs


OPERATIONS = {
    op.name: op for op in (
        _Operation("sigmoid", torch.sigmoid, (-2.5, -0.5, 0.0, 0.7, 3.0, 40.0, -40.0, 800.0, -800.0),
                   "at large |x| exp overflows; tanh in section 7 had the same problem. Never "
                   "take exp of a large positive number: which form of the sigmoid avoids it "
                   "for x < 0?"),
        _Operation("log", torch.log, (0.5, 1.0, 2.0, 7.3, 1e-3, 1e-8, 1e6),
                   "log is defined for every positive input, however small or large"),
        _Operation("exp", torch.exp, (-1.5, 0.0, 0.3, 2.0, -30.0)),
        _Operation("tanh", torch.tanh, (-1.5, -0.2, 0.0, 0.3, 2.0, 30.0, -30.0, 400.0)),
        _Operation("relu", torch.relu, (-1.5, -0.2, 0.3, 2.0)),
    )
}
_ORDINARY = 5  # the first five inputs of an operation are ordinary, the rest edge cases


def _oracle(op: _Operation, x: float, scale: float = 1.0) -> tuple[float, float]:
    """torch's value of op(x) and d(scale·op(x))/dx, in float64."""
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    y = op.torch_fn(t)
    (scale * y).backward()
    return y.item(), t.grad.item()


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or close(a, b, 1e-9, 1e-12)


def value_operation(value_class: type, name: str) -> Result:
    """The method `name` of `value_class` (a subclass of Value with your new operation)
    against torch.autograd, forward and backward, on ordinary and edge inputs, and used
    twice in one expression (which catches `=` where `+=` belongs)."""
    op = OPERATIONS[name]
    cls_name = getattr(value_class, "__name__", repr(value_class))

    def apply(x: Value, what: str):
        out = call_learner(f"{cls_name}({x.data:g}).{name}(){what}", getattr(x, name))
        if not is_value(out):
            raise Wrong(f"{name}() returned a {type(out).__name__}, not a Value: the result "
                         "must be a Value that lists its input among its children, so that "
                         "backward() can reach it.")
        return out

    def forward_backward(x: float, expression: str):
        """Build an expression around op at x, run backward: (output, x.grad, x)."""
        leaf = value_class(x)
        if expression == "op":
            out = apply(leaf, "")
        elif expression == "3·op":
            out = apply(leaf, "") * 3.0
        elif expression == "op + x":
            out = apply(leaf, "") + leaf
        elif expression == "op · op":
            out = apply(leaf, "") * apply(leaf, "")
        try:
            call_learner(f"backward() through {name}", out.backward)
        except Wrong as exc:
            if "positional argument" in str(exc):  # the video's `def _backward():`
                raise Wrong(f"{exc}. In this course's Value, _backward receives the gradient "
                             "arriving at the output: def _backward(out_grad).") from None
            raise
        return out, leaf.grad, leaf

    def body() -> str:
        if not isinstance(value_class, type) or not hasattr(value_class, "backward"):
            raise Wrong(f"pass your class itself, a subclass of Value; got {value_class!r}.")
        method = getattr(value_class, name, None)
        if method is None:
            raise NotAttempted(f"{cls_name} has no method {name}(): define it in the class, then "
                                "run the cell again.")
        edge_words = f" ({op.edge_hint})" if op.edge_hint else ""
        for index, x in enumerate(op.inputs):
            edge = index >= _ORDINARY
            expected, expected_grad = _oracle(op, x)
            try:
                out, grad, leaf = forward_backward(x, "op")
            except Wrong as exc:
                if edge:
                    raise Wrong(f"right on ordinary inputs, but at the edge: {exc}{edge_words}.") from None
                raise
            where = f"{name}({x:g})"
            if math.isnan(out.data) and not math.isnan(expected):
                raise Wrong(f"forward: {where} is NaN{edge_words if edge else ''}.")
            if not _same(out.data, expected):
                tail = edge_words if edge else ""
                raise Wrong(f"forward: {where}.data = {out.data:.6g} "
                             f"{how_off(out.data, expected, 1e-9)} (compared with torch){tail}.")
            if not any(node is leaf for node in topological_order(out)):
                raise Wrong(f"{where}: backward() cannot reach the input from the output: the "
                             "output Value must list its input among its children (_prev), or "
                             "an input that is itself computed never passes its gradient on.")
            if math.isnan(grad) and not math.isnan(expected_grad):
                raise Wrong(f"forward right, backward wrong: the gradient of {where} is NaN"
                             f"{edge_words if edge else ''}.")
            if not _same(grad, expected_grad):
                if grad == 0 and expected_grad != 0:
                    raise Wrong(f"forward right, backward wrong: after {where}.backward() the "
                                 "input's grad is still 0. Does the output list its input among "
                                 "its children, and does its _backward add to the input's grad?")
                raise Wrong(f"forward right, backward wrong: the gradient of {where} is "
                             f"{grad:.6g}, which {how_off(grad, expected_grad, 1e-9)}.")
        # The chain rule: the local derivative times the gradient arriving from above.
        x = op.inputs[1]
        _, expected_grad = _oracle(op, x, scale=3.0)
        _, grad, _ = forward_backward(x, "3·op")
        if not _same(grad, expected_grad):
            raise Wrong(f"forward right, and backward right when {name}'s output is the final "
                         f"result, but in 3 · {name}(x) the input's gradient is not 3 times as "
                         "large: multiply the local derivative by out_grad, the gradient arriving "
                         "at the output.")
        # A value used twice: its gradient is the sum over both uses.
        for expression in ("op + x", "op · op"):
            t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
            y = op.torch_fn(t)
            (y + t if expression == "op + x" else y * op.torch_fn(t)).backward()
            _, grad, _ = forward_backward(x, expression)
            if not _same(grad, t.grad.item()):
                shown = expression.replace("op", f"{name}(x)")
                raise Wrong(f"right when x is used once, but in {shown} the gradient of x is wrong: "
                             "it should be the sum over both uses. Does your _backward assign the "
                             "input's grad with = instead of adding to it with +=?")
        return (f"{cls_name}.{name} matches torch.{name}, forward and backward, on "
                f"{len(op.inputs)} inputs (edge cases included), with x used twice.")

    return run_check(name, body)


def sigmoid(value_class: type) -> Result:
    """Your Value subclass's sigmoid() against torch.sigmoid, forward and backward."""
    return value_operation(value_class, "sigmoid")


def log(value_class: type) -> Result:
    """Your Value subclass's log() (the natural log) against torch.log, forward and backward."""
    return value_operation(value_class, "log")


# ---------------------------------------------------------------------------------------------
# Softmax over Values: notebook 01, exercises
# ---------------------------------------------------------------------------------------------

# Logit vectors the softmax is tried on: the lecture exercise's, others, then large logits.
_SOFTMAX_CASES = [
    ((0.0, 3.0, -2.0, 1.0), 3),
    ((0.5, -1.0), 0),
    ((2.0, 2.0, 2.0), 1),
    ((-0.3, 1.7, 0.2, -2.2, 0.9), 4),
    ((1000.0, 999.0, 0.0), 1),
]


def _negative_log(p) -> Value:
    """-log(p) as a node on the learner's graph, so the check needs no log() of theirs."""
    out = type(p)(-math.log(p.data), (p,), "-log")

    def _backward(out_grad):
        p.grad += -out_grad / p.data

    out._backward = _backward
    return out


def softmax(softmax_fn: Callable, value_class: type = Value) -> Result:
    """Your `softmax_fn(logits)` (a list of Values in, a list of Values out) against
    torch.softmax: the probabilities, and the gradients of the logits under the negative log
    likelihood -log(probs[label]) and under a weighted sum of all the probabilities. The
    logits are made with `value_class`: in a notebook, pass the notebook's own Value."""

    def body() -> str:
        for case, (logits, label) in enumerate(_SOFTMAX_CASES):
            large = max(abs(v) for v in logits) > 100
            where = f"softmax({list(logits)})".replace(".0,", ",").replace(".0]", "]")
            weights = [0.3 * (i + 1) * (-1) ** i for i in range(len(logits))]
            t = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
            probs_t = torch.softmax(t, 0)
            for loss_kind in ("nll", "weighted"):
                leaves = [value_class(v) for v in logits]
                try:
                    probs = call_learner(where, softmax_fn, leaves)
                    if probs is None:
                        raise NotAttempted("your softmax returns None: return the list of "
                                            "probabilities (Values), then run the cell again.")
                    probs = list(probs)
                    if len(probs) != len(logits):
                        raise Wrong(f"{where} returned {len(probs)} values for {len(logits)} "
                                     "logits: one probability per logit.")
                    if not all(is_value(p) for p in probs):
                        raise Wrong(f"{where} returned {type(probs[0]).__name__}s, not Values: "
                                     "build the probabilities from Value operations so that "
                                     "backward() reaches the logits.")
                    data = [p.data for p in probs]
                    if any(math.isnan(d) for d in data):
                        raise Wrong(f"{where} contains NaN.")
                    for i, (d, ref) in enumerate(zip(data, probs_t.tolist())):
                        if not close(d, ref, 1e-9, 1e-12):
                            total = sum(data)
                            hint = (f"the probabilities sum to {total:.6g}, not 1: normalise "
                                    "them" if not close(total, 1.0, 1e-9, 0)
                                    else f"probability {i} {how_off(d, ref, 1e-9)}")
                            raise Wrong(f"forward: {where}: {hint}.")
                    if loss_kind == "nll":
                        loss = _negative_log(probs[label])
                        loss_t = -torch.log(probs_t[label])
                    else:
                        loss = sum(w * p for w, p in zip(weights, probs))  # in your Value class
                        loss_t = sum(w * p for w, p in zip(weights, probs_t))
                    call_learner(f"backward() through {where}", loss.backward)
                except Wrong as exc:
                    if large and case > 0:
                        raise Wrong(f"right on ordinary logits, but with large ones: {exc} "
                                     "Softmax does not change when the same number is "
                                     "subtracted from every logit: which number keeps every "
                                     "exp() small?") from None
                    raise
                t.grad = None
                loss_t.backward(retain_graph=True)
                grads = [leaf.grad for leaf in leaves]
                bad = [i for i, (g, ref) in enumerate(zip(grads, t.grad.tolist()))
                       if not close(g, ref, 1e-7, 1e-10)]
                if bad:
                    what = ("-log(probs[label])" if loss_kind == "nll"
                            else "a weighted sum of the probabilities")
                    if all(g == 0 for g in grads):
                        raise Wrong(f"forward right, backward wrong: for {what} with {where}, "
                                     "every logit's gradient is 0: are the probabilities built "
                                     "from the logits with Value operations?")
                    which = "; ".join(f"logit {i}'s {how_off(grads[i], t.grad[i].item(), 1e-7)}"
                                      for i in bad)
                    raise Wrong(f"forward right, backward wrong: for {what} with {where}, the "
                                 f"gradient of {which}.")
        return ("the probabilities and the logits' gradients match torch.softmax on "
                f"{len(_SOFTMAX_CASES)} logit vectors, large logits included.")

    return run_check("softmax", body)
