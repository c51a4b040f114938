"""lecture_utils.micrograd (notebook 01): Value against torch.autograd, the lecture's
reference numbers, deep graphs and numerical edge cases."""

import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lecture_utils.micrograd import Value, topological_order

# ---------------------------------------------------------------------------------------
# Random expressions, evaluated both by micrograd and by torch (float64).
# A leaf is ("x", i), one of a few shared inputs, so inputs are reused and gradients must
# accumulate; ("const", c) is a plain Python number, so radd/rmul/rsub/rtruediv get used.

N_INPUTS = 3
UNARY = ("neg", "tanh", "exp", "relu", "pow")
BINARY = ("add", "sub", "mul", "div")
EXPONENTS = (2, 3, -1, -2, 0.5, 1.5, -0.5)

leaves = st.one_of(
    st.tuples(st.just("x"), st.integers(0, N_INPUTS - 1)),
    st.tuples(st.just("const"), st.floats(-3, 3, allow_nan=False).filter(lambda c: abs(c) > 0.1)),
)


def _extend(children):
    return st.one_of(
        st.tuples(st.sampled_from(UNARY[:-1]), children),
        st.tuples(st.just("pow"), children, st.sampled_from(EXPONENTS)),
        st.tuples(st.sampled_from(BINARY), children, children),
    )


expressions = st.recursive(leaves, _extend, max_leaves=10).filter(lambda e: e[0] != "const")


class Invalid(Exception):
    """The expression leaves the domain where comparing with torch makes sense."""


def _is_number(x):
    return isinstance(x, int | float)


def _number(x):
    if isinstance(x, Value):
        return x.data
    return x.item() if isinstance(x, torch.Tensor) else x


def evaluate(expr, inputs, lib):
    """The expression's value; `lib` is "micrograd" or "torch" (for the unary functions)."""
    kind = expr[0]
    if kind == "x":
        return inputs[expr[1]]
    if kind == "const":
        return expr[1]
    args = [evaluate(e, inputs, lib) for e in expr[1:] if isinstance(e, tuple)]
    values = [_number(a) for a in args]
    if any(abs(v) > 1e6 for v in values):
        raise Invalid
    if kind == "neg":
        return -args[0]
    if kind in ("tanh", "exp", "relu"):
        if kind == "exp" and values[0] > 30:
            raise Invalid
        if kind == "relu" and abs(values[0]) < 1e-9:
            raise Invalid  # the kink: both give 0, but a rounding difference flips the side
        if lib == "micrograd":
            return getattr(Value(values[0]) if _is_number(args[0]) else args[0], kind)()
        return getattr(torch, kind)(torch.as_tensor(args[0], dtype=torch.float64))
    if kind == "pow":
        exponent = expr[2]
        if abs(values[0]) < 0.1 and exponent < 0:
            raise Invalid
        if values[0] < 0.1 and not float(exponent).is_integer():
            raise Invalid
        return args[0] ** exponent
    a, b = args
    if kind == "div" and abs(values[1]) < 0.1:
        raise Invalid
    if kind == "add":
        return a + b
    if kind == "sub":
        return a - b
    return a * b if kind == "mul" else a / b


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(expr=expressions, xs=st.lists(st.floats(-2, 2, allow_nan=False), min_size=N_INPUTS,
                                     max_size=N_INPUTS))
def test_value_and_gradients_match_torch(expr, xs):
    values = [Value(x) for x in xs]
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    try:
        ours = evaluate(expr, values, "micrograd")
        theirs = evaluate(expr, tensors, "torch")
    except Invalid:
        return
    if not isinstance(ours, Value) or abs(ours.data) > 1e6:
        return
    assert ours.data == pytest.approx(theirs.item(), rel=1e-9, abs=1e-12)
    if not theirs.requires_grad:
        return  # built from constants only: torch has no graph to compare with
    ours.backward()
    theirs.backward()
    for value, tensor in zip(values, tensors, strict=True):
        expected = 0.0 if tensor.grad is None else tensor.grad.item()
        assert value.grad == pytest.approx(expected, rel=1e-7, abs=1e-9)


def test_expression_generator_covers_every_operation():
    """The property test above is only as good as its expressions: sample some and check
    that every operation, and reverse operations with a number on the left, turn up."""
    seen = set()

    @settings(max_examples=300, deadline=None, database=None,
              suppress_health_check=[HealthCheck.filter_too_much])
    @given(expr=expressions)
    def collect(expr):
        stack = [expr]
        while stack:
            node = stack.pop()
            seen.add(node[0])
            if node[0] in BINARY and node[1][0] == "const":
                seen.add("r" + node[0])
            stack.extend(e for e in node[1:] if isinstance(e, tuple))

    collect()
    assert set(UNARY + BINARY) | {"radd", "rsub", "rmul", "rdiv"} <= seen


# ---------------------------------------------------------------------------------------
# The lecture's numbers and the edge cases.


def test_tanh_neuron_reference_numbers():
    x1, x2 = Value(2.0), Value(0.0)
    w1, w2 = Value(-3.0), Value(1.0)
    b = Value(6.8813735870195432)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert o.data == pytest.approx(0.7071067811865476, abs=1e-12)
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0), abs=1e-9)


def test_backward_through_a_deep_chain_needs_no_recursion():
    x = Value(1.0)
    node = x
    for _ in range(10_000):
        node = node.relu()  # far deeper than Python's recursion limit of 1,000
    node.backward()
    assert x.grad == 1.0
    order = topological_order(node)
    assert order[0] is x and order[-1] is node and len(order) == 10_001


def test_topological_order_puts_inputs_first():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    position = {id(n): i for i, n in enumerate(topological_order(e))}
    for node in (c, d, e):
        for child in node._prev:
            assert position[id(child)] < position[id(node)]
    assert len(position) == 5


@pytest.mark.parametrize("x", [1000.0, -1000.0, 400.0, 1e300])
def test_tanh_of_large_inputs_is_finite(x):
    v = Value(x)
    out = v.tanh()
    out.backward()
    assert out.data == math.copysign(1.0, x)
    assert v.grad == 0.0


def test_exp_overflow_is_a_clear_error():
    with pytest.raises(ValueError, match=r"Value.exp\(1000\) is too large.*709.78"):
        Value(1000.0).exp()
    assert Value(709.0).exp().data == pytest.approx(math.exp(709.0))


def test_bad_powers_are_clear_errors():
    with pytest.raises(TypeError, match="constant int or float, not a Value"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(ZeroDivisionError, match="base is zero"):
        Value(1.0) / Value(0.0)
    with pytest.raises(ValueError, match="negative base"):
        Value(-2.0) ** 0.5


def test_a_node_used_twice_accumulates_its_gradient():
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0
    a = Value(-2.0)
    c = Value(3.0)
    f = (a * c) * (a + c)  # a reaches f along two paths
    f.backward()
    assert a.grad == pytest.approx(c.data * (a.data + c.data) + a.data * c.data)


def test_reverse_operations_with_numbers():
    a = Value(4.0)
    assert (2 + a).data == 6.0 and (2 * a).data == 8.0
    assert (2 - a).data == -2.0 and (2 / a).data == 0.5
    assert (-a).data == -4.0 and (a**0.5).data == 2.0


def test_repr_shows_label_data_and_grad():
    assert repr(Value(2.5, label="w")) == "Value(w: data=2.5, grad=0)"
