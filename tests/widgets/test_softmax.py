"""The softmax explorer widgets of notebook 03, driven headlessly through their controls."""

import pytest
import torch

from lecture_utils.widgets.softmax import SoftmaxExplorer, TemperatureSampler

from . import shown_html

ITOS = dict(enumerate(".abcdefghijklmnopqrstuvwxyz"))


def entropy(probs):
    probs = probs[probs > 0]
    return -(probs * probs.log()).sum().item()


def test_explorer_shows_softmax_of_its_sliders():
    explorer = SoftmaxExplorer(logits=(2.0, 1.0, 0.1), labels=["x", "y", "z"])
    torch.testing.assert_close(explorer.probs, torch.softmax(torch.tensor([2.0, 1.0, 0.1],
                                                                          dtype=torch.float64), 0))
    explorer.logit_sliders[2].value = 4.0  # z becomes the most likely outcome
    assert explorer.probs.argmax().item() == 2
    assert "4.00" in shown_html(explorer)  # logit / T column at T = 1
    assert f"{explorer.probs[2].item():.4f}" in shown_html(explorer)


def test_explorer_temperature_sharpens_and_flattens():
    explorer = SoftmaxExplorer()
    at_one = entropy(explorer.probs)
    explorer.temperature.value = 0.1
    assert entropy(explorer.probs) < at_one
    assert explorer.probs[0].item() > 0.99  # nearly one-hot on the largest logit
    explorer.temperature.value = 10.0
    assert entropy(explorer.probs) > at_one
    assert explorer.probs.max().item() < 0.3  # nearly uniform over 4 outcomes


def test_explorer_shows_exp_counts_that_normalise_to_the_probabilities():
    explorer = SoftmaxExplorer(logits=(0.0, 1.0), labels=["p", "q"])
    assert "2.718" in shown_html(explorer)  # exp(1) for q
    assert "sum of the exp-counts: 3.718" in shown_html(explorer)


def test_explorer_needs_one_label_per_logit():
    with pytest.raises(ValueError, match="one label per logit"):
        SoftmaxExplorer(logits=(1.0, 2.0), labels=["only one"])


def counts_table():
    """A bigram table where 'a' is followed by 'b' most of the time."""
    table = torch.zeros(27, 27)
    table[1, 2] = 3.0
    return table


def test_sampler_shows_the_distribution_after_the_chosen_character():
    sampler = TemperatureSampler(counts_table(), ITOS, previous="a")
    torch.testing.assert_close(sampler.probs, torch.softmax(counts_table()[1], 0))
    assert sampler.probs.argmax().item() == 2
    sampler.previous.value = "c"  # a uniform row
    torch.testing.assert_close(sampler.probs, torch.full((27,), 1 / 27))


def test_sampler_temperature_changes_the_distribution_and_the_names():
    sampler = TemperatureSampler(counts_table(), ITOS, previous="a", num_names=8, seed=3)
    p_b = sampler.probs[2].item()
    sampler.temperature.value = 0.1
    assert sampler.probs[2].item() > p_b and sampler.probs[2].item() > 0.999
    sampler.temperature.value = 10.0
    assert sampler.probs[2].item() < p_b
    assert len(sampler.names) == 8
    assert all(set(name) <= set("abcdefghijklmnopqrstuvwxyz") for name in sampler.names)
    assert all(name in shown_html(sampler) for name in sampler.names)


def test_sampler_is_reproducible_with_its_seed():
    sampler = TemperatureSampler(counts_table(), ITOS, num_names=6, seed=11)
    first = list(sampler.names)
    sampler.seed.value = 12
    sampler.seed.value = 11
    assert sampler.names == first
    sampler.num_names.value = 3
    assert sampler.names == first[:3]  # same generator, same draws in the same order


@pytest.mark.parametrize("bad", ["Q", "ab", "", "?"])
def test_sampler_unknown_character_is_a_message_not_a_traceback(bad):
    sampler = TemperatureSampler(counts_table(), ITOS)
    sampler.previous.value = bad
    assert sampler.probs is None and sampler.names is None
    assert sampler.message.startswith(f"Unknown previous character {bad!r}. Type exactly one of")
    assert sampler.message in shown_html(sampler) and "Names sampled" not in shown_html(sampler)
    sampler.previous.value = "a"  # recovers once the value is fixed
    assert sampler.message is None and sampler.probs is not None
    assert "Unknown" not in shown_html(sampler) and "Names sampled" in shown_html(sampler)


def test_sampler_negative_seed_is_a_message():
    sampler = TemperatureSampler(counts_table(), ITOS)
    sampler.seed.value = -5
    assert sampler.message == "seed must be 0 or more, got -5."
    assert sampler.message in shown_html(sampler)


def test_sampler_checks_the_table_shape():
    with pytest.raises(ValueError, match="square table with one row per character"):
        TemperatureSampler(torch.zeros(27, 5), ITOS)


def test_static_views_get_a_readable_description():
    assert repr(SoftmaxExplorer()).startswith("SoftmaxExplorer: sliders for 4 logits")
    assert "run the notebook" in repr(TemperatureSampler(counts_table(), ITOS))


def test_logits_outside_the_sliders_are_shown_exactly_with_a_note():
    explorer = SoftmaxExplorer(logits=(1000.0, 999.0, 0.0), labels=["a", "b", "c"])
    assert [s.value for s in explorer.logit_sliders] == [1000.0, 999.0, 0.0]
    # notebook 03's exact answer, not the 0.498 / 0.498 / 0.003 of sliders clamped at 5
    torch.testing.assert_close(explorer.probs, torch.tensor([0.7311, 0.2689, 0.0], dtype=torch.float64),
                               atol=1e-4, rtol=0)
    text = shown_html(explorer)
    assert "logit a = 1000 lies outside the slider's usual range" in text
    assert "logit c" not in text  # inside its range: no note


@pytest.mark.parametrize("temperature", [0, -1.0, float("nan")])
def test_an_impossible_temperature_starts_at_the_lowest_and_says_why(temperature):
    explorer = SoftmaxExplorer(temperature=temperature)
    assert explorer.temperature.value == pytest.approx(0.01)
    assert explorer.message is None and explorer.probs is not None
    assert f"temperature = {temperature!r} cannot be used" in shown_html(explorer)
    explorer.temperature.value = 1.0  # the learner's own value: the note goes
    assert "cannot be used" not in shown_html(explorer)


def test_a_large_temperature_widens_its_slider():
    explorer = SoftmaxExplorer(temperature=50.0)
    assert explorer.temperature.value == pytest.approx(50.0)
    assert "temperature = 50 lies outside" in shown_html(explorer)


def test_every_label_is_shown_whole():
    explorer = SoftmaxExplorer()
    sampler = TemperatureSampler(torch.zeros(27, 27), ITOS)
    for control in [*explorer.logit_sliders, explorer.temperature, sampler.temperature,
                    sampler.num_names, sampler.previous, sampler.seed]:
        assert control.style.description_width == "initial", control.description


def test_sampler_shows_the_names_above_the_table():
    sampler = TemperatureSampler(torch.zeros(27, 27), ITOS, num_names=3)
    text = shown_html(sampler)
    assert text.index("Names sampled") < text.index("<table>")
