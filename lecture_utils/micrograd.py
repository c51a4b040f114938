"""micrograd, as notebook 01 builds it: `Value`, a scalar that records the expression it
came from and backpropagates gradients through it with `backward()` (an iterative
topological sort, so deep graphs do not hit Python's recursion limit).

The definitions below are saved from notebook 01 (`python -m lecture_utils sync`); edit
them there, not here.
"""

import contextlib
import gc
import math
import sys

# math.exp overflows above this input: exp(709.78) is the largest float (about 1.8e308).


def topological_order(root):
    """Every node that `root` depends on, children before parents, without recursion.

    A depth-first search with an explicit stack: a node is pushed once to expand its
    children and once more (`expanded=True`) to be emitted after all of them.
    """
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((child, False) for child in node._prev if child not in seen)
    return order


EXP_MAX_INPUT = math.log(sys.float_info.max)  # about 709.78: exp of anything larger overflows


class Value:
    """A scalar that remembers how it was computed, so it can backpropagate gradients.

    Each operation gives its output a `_backward(out_grad)` closure that adds
    local gradient × out_grad to its inputs' `.grad`; `backward()` calls them all.
    """

    def __init__(self, data, _children=(), _op="", label=""):
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda out_grad: None  # a leaf has no inputs to pass gradient to
        # The inputs in order: a tuple rather than the original's set, so that sorting and
        # drawing the graph come out the same on every run.
        self._prev = tuple(_children)
        self._op = _op
        self.label = label

    def __repr__(self):
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward(out_grad):
            # d(out)/d(self) = d(out)/d(other) = 1: addition routes the gradient unchanged.
            self.grad += out_grad
            other.grad += out_grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward(out_grad):
            # Each input's local gradient is the other input.
            self.grad += other.data * out_grad
            other.grad += self.data * out_grad

        out._backward = _backward
        return out

    def __pow__(self, exponent):
        if isinstance(exponent, bool) or not isinstance(exponent, int | float):
            raise TypeError(f"Value ** {type(exponent).__name__}: the exponent must be a "
                            "constant int or float, not a Value.")
        if self.data == 0 and exponent < 0:
            raise ZeroDivisionError(f"0 ** {exponent}: the base is zero and the exponent is "
                                    "negative (dividing by a Value whose data is 0?).")
        if self.data < 0 and not float(exponent).is_integer():
            raise ValueError(f"({self.data}) ** {exponent}: a negative base needs a whole-number "
                             "exponent (the result would be complex).")
        out = Value(self.data**exponent, (self,), f"**{exponent}")

        def _backward(out_grad):
            self.grad += exponent * self.data ** (exponent - 1) * out_grad

        out._backward = _backward
        return out

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __truediv__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        return self * other**-1

    # Python tries these when the left operand is a plain number: 2 + a, 2 * a, 1 - a, 1 / a.
    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return (-self) + other

    def __rtruediv__(self, other):
        return Value(other) / self

    def tanh(self):
        # math.tanh is exact for any input; (e^2x - 1) / (e^2x + 1) overflows for x > 355.
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward(out_grad):
            self.grad += (1 - t**2) * out_grad

        out._backward = _backward
        return out

    def exp(self):
        if self.data > EXP_MAX_INPUT:
            raise ValueError(f"Value.exp({self.data:g}) is too large for a float: exp overflows "
                             f"above {EXP_MAX_INPUT:.2f}. Scale the input down, or use tanh, "
                             "which never overflows.")
        e = math.exp(self.data)
        out = Value(e, (self,), "exp")

        def _backward(out_grad):
            self.grad += e * out_grad  # d/dx e^x = e^x

        out._backward = _backward
        return out

    def relu(self):
        positive = self.data > 0
        out = Value(self.data if positive else 0.0, (self,), "relu")

        def _backward(out_grad):
            self.grad += positive * out_grad  # slope 1 where the input was positive, else 0

        out._backward = _backward
        return out

    def backward(self):
        """Fill in .grad of every node this one depends on: d(self)/d(node)."""
        self.grad = 1.0
        for node in reversed(topological_order(self)):
            node._backward(node.grad)


@contextlib.contextmanager
def paused_gc():
    """Pause Python's cyclic garbage collector while a loop builds and drops large graphs.

    A training step creates tens of thousands of Values; the collector keeps rescanning them
    as they pile up, which costs more than the arithmetic. The graph holds no reference
    cycles, so plain reference counting frees each one as soon as it is dropped.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
