"""lecture_utils.check.micrograd (notebook 01's checks), fed the answers learners give: each
right answer is accepted, each kind of wrong answer rejected with the hint that names its
fault, and an answer left as the notebook gives it is "not attempted yet", without raising."""

import importlib.util
import math

import pytest

from lecture_utils import check, micrograd
from lecture_utils.check import NOT_ATTEMPTED, RIGHT, WRONG
from lecture_utils.micrograd import Value
from tests.check.verdict import verdict

# ---------------------------------------------------------------------------------------------
# derivative
# ---------------------------------------------------------------------------------------------


def g(a, b, c):
    return -a**3 + math.sin(3 * b) - 1.0 / c + b**2.5 - a**0.5


def dg(a, b, c):
    return [-3 * a**2 - 0.5 * a**-0.5, 3 * math.cos(3 * b) + 2.5 * b**1.5, c**-2]


POINT = (2.0, 3.0, 4.0)


def parabola(x):
    return 3 * x**2 - 4 * x + 5


@pytest.mark.parametrize("answer", [dg, dg(*POINT), tuple(dg(*POINT))], ids=["function", "list", "tuple"])
def test_derivative_accepts_the_right_gradient(capsys, answer):
    verdict(capsys, check.derivative(g, POINT, answer), RIGHT, "all 3 partial derivatives agree")


def test_derivative_of_one_input_accepts_numbers_and_functions(capsys):
    verdict(capsys, check.derivative(parabola, 3.0, 14), RIGHT)
    verdict(capsys, check.derivative(parabola, 3.0, lambda x: 6 * x - 4), RIGHT)


@pytest.mark.parametrize("answer", [None, lambda a, b, c: None, [None, None, None]],
                         ids=["None", "function returning None", "list of None"])
def test_derivative_left_unanswered_is_not_attempted(capsys, answer):
    verdict(capsys, check.derivative(g, POINT, answer), NOT_ATTEMPTED, "None")


def test_derivative_raising_not_implemented_is_not_attempted(capsys):
    def unanswered(a, b, c):
        raise NotImplementedError

    verdict(capsys, check.derivative(g, POINT, unanswered), NOT_ATTEMPTED, "NotImplementedError")


def test_derivative_names_a_wrong_sign(capsys):
    line = verdict(capsys, check.derivative(parabola, 3.0, -14.0), WRONG, "wrong sign")
    assert "parabola'(3)" in line


def test_derivative_names_the_one_input_that_is_off_by_a_factor(capsys):
    a, b, c = dg(*POINT)
    line = verdict(capsys, check.derivative(g, POINT, [a, 2 * b, c]), WRONG,
                   "∂g/∂b", "factor of 2", "2 of 3 right")
    assert "∂g/∂a" not in line and "∂g/∂c" not in line


def test_derivative_names_a_forgotten_chain_rule_factor_without_giving_the_answer(capsys):
    a, b, c = dg(*POINT)
    forgot = b - 2 * math.cos(9.0)  # cos 3b without the inner factor 3
    line = verdict(capsys, check.derivative(g, POINT, [a, forgot, c]), WRONG,
                   "∂g/∂b", "terms that contain b")
    assert f"{b:.4g}" not in line and f"{b:.6g}" not in line  # the right value is never shown


@pytest.mark.parametrize("factor, words", [(0.5, "factor of 1/2"), (-2, "factor of 2 and the wrong sign")])
def test_derivative_names_other_factors(capsys, factor, words):
    verdict(capsys, check.derivative(parabola, 3.0, 14.0 * factor), WRONG, words)


def test_derivative_says_a_numerical_estimate_is_not_exact(capsys):
    forward = (parabola(3.0 + 1e-4) - parabola(3.0)) / 1e-4
    verdict(capsys, check.derivative(parabola, 3.0, forward), WRONG, "close", "numerical estimate")


def test_derivative_rejects_nan_wrong_lengths_and_non_numbers(capsys):
    verdict(capsys, check.derivative(parabola, 3.0, math.nan), WRONG, "NaN")
    verdict(capsys, check.derivative(g, POINT, dg(*POINT)[:2]), WRONG, "2 number(s)", "3 input(s)")
    verdict(capsys, check.derivative(g, POINT, ["-12", 1.0, 1.0]), WRONG, "not a number")


def test_derivative_reports_an_exception_in_the_answer(capsys):
    verdict(capsys, check.derivative(parabola, 3.0, lambda x: 1 / 0), WRONG, "ZeroDivisionError")


# ---------------------------------------------------------------------------------------------
# numerical_gradient
# ---------------------------------------------------------------------------------------------


def one_sided(f, args, h):
    slopes = []
    for i in range(len(args)):
        nudged = list(args)
        nudged[i] += h
        slopes.append((f(*nudged) - f(*args)) / h)
    return slopes


def centred(f, args, h, divide_by=2):
    slopes = []
    for i in range(len(args)):
        up, down = list(args), list(args)
        up[i] += h
        down[i] -= h
        slopes.append((f(*up) - f(*down)) / (divide_by * h))
    return slopes


def test_numerical_gradient_accepts_both_kinds(capsys):
    verdict(capsys, check.numerical_gradient(one_sided), RIGHT, "one-sided")
    verdict(capsys, check.numerical_gradient(centred, centred=True), RIGHT, "centred")


def test_numerical_gradient_tells_the_two_kinds_apart(capsys):
    verdict(capsys, check.numerical_gradient(centred), WRONG, "centred differences", "one-sided")
    verdict(capsys, check.numerical_gradient(one_sided, centred=True), WRONG,
            "one-sided differences", "centred")


@pytest.mark.parametrize("estimate, hint", [
    (lambda f, args, h: [s * h for s in one_sided(f, args, h)], "divide by the size of the nudge"),
    (lambda f, args, h: centred(f, args, h, divide_by=1), "spans 2h"),
    (lambda f, args, h: [(f(*[a + h for a in args]) - f(*args)) / h] * len(args), "nudge one input"),
    (lambda f, args, h: centred(f, args, 1e-6), "exact derivatives"),
    (lambda f, args, h: one_sided(f, args, 1e-4), "is h the argument"),
    (lambda f, args, h: one_sided(f, args, h)[:1], "one slope per input"),
    (lambda f, args, h: [math.nan] * len(args), "NaN"),
], ids=["not divided", "centred over h", "all inputs at once", "exact", "own step", "one slope",
        "NaN"])
def test_numerical_gradient_names_the_mistake(capsys, estimate, hint):
    verdict(capsys, check.numerical_gradient(estimate), WRONG, hint)


def test_numerical_gradient_centred_over_h_is_named_when_centred_is_asked(capsys):
    verdict(capsys, check.numerical_gradient(lambda f, args, h: centred(f, args, h, divide_by=1),
                                             centred=True), WRONG, "spans 2h")


def test_numerical_gradient_left_unanswered_is_not_attempted(capsys):
    verdict(capsys, check.numerical_gradient(lambda f, args, h: None), NOT_ATTEMPTED)

    def stub(f, args, h):
        raise NotImplementedError("your answer")

    verdict(capsys, check.numerical_gradient(stub, centred=True), NOT_ATTEMPTED)


# ---------------------------------------------------------------------------------------------
# New Value operations
# ---------------------------------------------------------------------------------------------


def unary(name, forward, local, accumulate=True, use_out_grad=True, children=True):
    """A Value subclass with operation `name`: output forward(x), local derivative local(x, y)."""

    def method(self):
        x = self.data
        y = forward(x)
        out = Value(y, (self,) if children else (), name)

        def _backward(out_grad):
            grad = local(x, y) * (out_grad if use_out_grad else 1.0)
            if accumulate:
                self.grad += grad
            else:
                self.grad = grad

        out._backward = _backward
        return out

    return type(f"{name.capitalize()}Value", (Value,), {name: method})


def stable_sigmoid(x):
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


RIGHT_LOG = unary("log", math.log, lambda x, y: 1 / x)
RIGHT_SIGMOID = unary("sigmoid", stable_sigmoid, lambda x, y: y * (1 - y))


def test_the_right_operations_are_accepted(capsys):
    verdict(capsys, check.log(RIGHT_LOG), RIGHT, "matches torch.log", "used twice")
    verdict(capsys, check.sigmoid(RIGHT_SIGMOID), RIGHT, "matches torch.sigmoid")


@pytest.mark.parametrize("name", ["exp", "tanh", "relu"])
def test_the_package_value_passes_its_own_operations(capsys, name):
    verdict(capsys, check.value_operation(Value, name), RIGHT)


def test_a_value_class_of_a_notebook_is_accepted(capsys):
    """A notebook defines its own Value: another class object with the same protocol."""
    spec = importlib.util.spec_from_file_location("notebook_micrograd", micrograd.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.Value is not Value

    class NotebookLogValue(module.Value):
        def log(self):
            out = module.Value(math.log(self.data), (self,), "log")

            def _backward(out_grad):
                self.grad += out_grad / self.data

            out._backward = _backward
            return out

    verdict(capsys, check.log(NotebookLogValue), RIGHT)

    def softmax(logits):
        counts = [(logit - max(v.data for v in logits)).exp() for logit in logits]
        total = sum(counts)
        return [count / total for count in counts]

    verdict(capsys, check.softmax(softmax, module.Value), RIGHT)


def test_an_operation_left_unanswered_is_not_attempted(capsys):
    class Stub(Value):
        def sigmoid(self):
            raise NotImplementedError("your answer")

    verdict(capsys, check.sigmoid(Stub), NOT_ATTEMPTED, "NotImplementedError")
    verdict(capsys, check.log(Value), NOT_ATTEMPTED, "Value has no method log()")


@pytest.mark.parametrize("cls, hints", [
    (unary("log", math.log10, lambda x, y: 1 / x), ["forward", "factor of 1/ln 10"]),
    (unary("log", lambda x: -math.log(x), lambda x, y: -1 / x), ["forward", "wrong sign"]),
    (unary("log", math.log, lambda x, y: x), ["forward right, backward wrong", "log(0.5)"]),
    (unary("log", math.log, lambda x, y: 2 / x), ["forward right, backward wrong", "factor of 2"]),
    (unary("log", math.log, lambda x, y: 1 / x, accumulate=False), ["= instead of", "+="]),
    (unary("log", math.log, lambda x, y: 1 / x, use_out_grad=False), ["out_grad", "3 times"]),
    (unary("log", math.log, lambda x, y: 1 / x, children=False), ["cannot reach", "_prev"]),
    (unary("sigmoid", stable_sigmoid, lambda x, y: y), ["backward wrong"]),
    (unary("sigmoid", stable_sigmoid, lambda x, y: y * (1 - y), accumulate=False), ["+="]),
    (unary("sigmoid", lambda x: math.nan, lambda x, y: 0.0), ["NaN"]),
    (unary("sigmoid", stable_sigmoid, lambda x, y: math.nan), ["backward wrong", "NaN"]),
    (unary("sigmoid", lambda x: 1 / (1 + math.exp(-x)), lambda x, y: y * (1 - y)),
     ["right on ordinary inputs", "sigmoid()", "OverflowError", "x < 0"]),
], ids=["log10", "sign", "grad x", "grad factor", "= not +=", "no out_grad", "no children",
        "sigmoid grad", "sigmoid =", "NaN forward", "NaN backward", "overflow"])
def test_wrong_operations_are_rejected_with_their_fault(capsys, cls, hints):
    name = "log" if hasattr(cls, "log") else "sigmoid"
    verdict(capsys, check.value_operation(cls, name), WRONG, *hints)


def test_an_operation_composed_of_exps_overflows_at_the_edge(capsys):
    class Composed(Value):
        def sigmoid(self):
            return 1 / (1 + (-self).exp())

    verdict(capsys, check.sigmoid(Composed), WRONG, "right on ordinary inputs", "Composed(-800)")


def test_an_operation_returning_a_float_or_a_detached_value_is_rejected(capsys):
    class Float(Value):
        def log(self):
            return math.log(self.data)

    class Detached(Value):
        def log(self):
            return Value(math.log(self.data))

    class NoBackward(Value):
        def log(self):
            return Value(math.log(self.data), (self,), "log")  # out._backward never set

    verdict(capsys, check.log(Float), WRONG, "returned a float, not a Value")
    verdict(capsys, check.log(Detached), WRONG, "cannot reach the input")
    verdict(capsys, check.log(NoBackward), WRONG, "still 0", "_backward")


def test_the_videos_backward_without_an_argument_is_explained(capsys):
    class Video(Value):
        def log(self):
            out = Value(math.log(self.data), (self,), "log")

            def _backward():
                self.grad += out.grad / self.data

            out._backward = _backward
            return out

    verdict(capsys, check.log(Video), WRONG, "TypeError", "def _backward(out_grad)")


def test_an_instance_instead_of_a_class_is_rejected(capsys):
    verdict(capsys, check.log(RIGHT_LOG(2.0)), WRONG, "pass your class itself")


# ---------------------------------------------------------------------------------------------
# softmax
# ---------------------------------------------------------------------------------------------


def stable_softmax(logits):
    largest = max(logit.data for logit in logits)
    counts = [(logit - largest).exp() for logit in logits]
    total = sum(counts)
    return [count / total for count in counts]


def naive_softmax(logits):
    counts = [logit.exp() for logit in logits]
    total = sum(counts)
    return [count / total for count in counts]


def constant_denominator_softmax(logits):
    """A learner's slip: the sum taken as a plain number, so no gradient flows through it."""
    largest = max(logit.data for logit in logits)
    counts = [(logit - largest).exp() for logit in logits]
    total = sum(count.data for count in counts)
    return [count / total for count in counts]


def test_softmax_accepts_the_right_answer(capsys):
    verdict(capsys, check.softmax(stable_softmax), RIGHT, "large logits included")


@pytest.mark.parametrize("softmax, hints", [
    (naive_softmax, ["right on ordinary logits", "large ones", "ValueError"]),
    (lambda logits: [logit.exp() for logit in logits], ["forward", "not 1"]),
    (lambda logits: [p.data for p in stable_softmax(logits)], ["not Values"]),
    (lambda logits: [Value(p.data) for p in stable_softmax(logits)], ["every logit's gradient is 0"]),
    (constant_denominator_softmax, ["forward right, backward wrong", "logit 0", "logit 1"]),
    (lambda logits: stable_softmax(logits)[1:], ["one probability per logit"]),
    (lambda logits: [p * math.nan for p in stable_softmax(logits)], ["NaN"]),
    (lambda logits: stable_softmax(logits)[::-1], ["forward", "probability 0"]),
], ids=["overflow", "not normalised", "floats", "detached", "constant sum", "too few", "NaN",
        "reversed"])
def test_softmax_rejects_wrong_answers_with_their_fault(capsys, softmax, hints):
    verdict(capsys, check.softmax(softmax), WRONG, *hints)


def test_softmax_left_unanswered_is_not_attempted(capsys):
    verdict(capsys, check.softmax(lambda logits: None), NOT_ATTEMPTED, "returns None")


# ---------------------------------------------------------------------------------------------
# The result object
# ---------------------------------------------------------------------------------------------


def test_a_result_is_true_only_when_right_and_shows_nothing_more_in_a_notebook(capsys):
    right = check.derivative(parabola, 3.0, 14.0)
    wrong = check.derivative(parabola, 3.0, 7.0)
    pending = check.derivative(parabola, 3.0, None)
    assert right and not wrong and not pending
    assert right._ipython_display_() is None  # the line was printed; no Out[] repeats it
    with pytest.raises(AssertionError):
        assert check.log(Value)
