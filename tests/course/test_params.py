"""Parameter checks stop a bad notebook parameter with a message naming it."""

import pytest

from lecture_utils.course.params import (
    ParameterError,
    check_choice,
    check_fraction,
    check_positive,
    check_positive_int,
)


def test_good_values_pass():
    check_positive_int(steps=200_000, batch_size=32)
    check_positive(lr=0.1)
    check_fraction(dropout=0.0)
    check_choice("config", "cpu", ("auto", "cpu", "lecture"))


@pytest.mark.parametrize("value", [0, -5, 2.5, True, "100"])
def test_bad_step_counts_name_the_parameter_and_the_fix(value):
    message = r"Parameter steps must be a whole number greater than 0.*-p steps"
    with pytest.raises(ParameterError, match=message):
        check_positive_int(steps=value)


@pytest.mark.parametrize("value", [0, -0.1, float("nan"), float("inf"), "0.1"])
def test_bad_learning_rates_are_refused(value):
    with pytest.raises(ParameterError, match="Parameter lr must be a finite number greater than 0"):
        check_positive(lr=value)


@pytest.mark.parametrize("value", [1, 1.5, -0.2])
def test_fractions_must_lie_in_zero_one(value):
    with pytest.raises(ParameterError, match="dropout"):
        check_fraction(dropout=value)


def test_choices_list_the_allowed_values():
    with pytest.raises(ParameterError, match="one of 'auto', 'cpu'"):
        check_choice("config", "gpu", ("auto", "cpu"))
