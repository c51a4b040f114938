"""Training notebook 08's GPT, with tiny shapes: the configurations, the learning-rate
schedule, a short seeded training run, estimate_loss, and checkpoints (round trip, missing,
corrupt, another shape of model, other training settings or seed)."""

from dataclasses import replace

import pytest
import torch

from lecture_utils.course.paths import CHECKPOINT_DIR
from lecture_utils.gpt import GPT, GPTConfig, count_parameters
from lecture_utils.gpt_training import (
    CONFIGS,
    CheckpointError,
    TrainConfig,
    checkpoint_dir,
    estimate_loss,
    estimated_seconds,
    learning_rate_at,
    load_checkpoint,
    measure_training,
    save_checkpoint,
    train,
)

TINY = GPTConfig(block_size=8, n_layers=2, n_heads=4, n_embd=16, vocab_size=5)
TINY_TRAINING = TrainConfig(batch_size=8, learning_rate=1e-2, max_iters=60, eval_interval=20,
                            eval_iters=4)
HISTORY = {"step": [0, 10], "train": [1.6, 1.2], "val": [1.6, 1.3], "best_val": 1.3,
           "best_step": 10, "seconds": 1.5}


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def test_configs_pair_a_shape_with_training_settings():
    for model_config, train_config in CONFIGS.values():
        assert isinstance(model_config, GPTConfig) and isinstance(train_config, TrainConfig)
    assert count_parameters(CONFIGS["lecture"][0]) == 10_788_929
    assert count_parameters(CONFIGS["small"][0]) == 209_729  # the lecture's 0.2097M
    assert count_parameters(CONFIGS["cpu"][0]) == 326_145


def test_learning_rate_schedule():
    constant = replace(TINY_TRAINING, max_iters=100)
    assert learning_rate_at(0, constant) == learning_rate_at(99, constant) == 1e-2
    schedule = replace(TINY_TRAINING, max_iters=100, warmup_iters=10, min_lr=1e-3)
    assert learning_rate_at(0, schedule) == pytest.approx(1e-3)
    assert learning_rate_at(9, schedule) == pytest.approx(1e-2)
    assert learning_rate_at(55, schedule) == pytest.approx((1e-2 + 1e-3) / 2)
    assert learning_rate_at(100, schedule) == pytest.approx(1e-3)
    rates = [learning_rate_at(step, schedule) for step in range(10, 101)]
    assert all(a >= b for a, b in zip(rates, rates[1:], strict=False))


def pattern_data(length=2000):
    """A repeating 5-symbol text: a model with context learns it almost perfectly."""
    return torch.tensor([0, 1, 2, 3, 4, 2, 1] * (length // 7), dtype=torch.long)


def test_seeded_training_run_learns_the_pattern_and_keeps_the_best():
    data = pattern_data()
    model = GPT(TINY, generator(16))
    untrained = estimate_loss(model, data, TINY.block_size, TINY_TRAINING, generator(0))
    history = train(model, TINY_TRAINING, data, data, generator(17), progress=False)
    assert 1.3 < untrained < 2.0  # about ln(5) = 1.61
    assert history["step"] == [0, 20, 40, 60]
    assert history["best_val"] == min(history["val"]) < 0.3
    assert history["best_step"] == history["step"][history["val"].index(history["best_val"])]
    assert history["seconds"] > 0
    # the model holds the best weights: re-estimating on the same batches gives best_val
    best = estimate_loss(model, data, TINY.block_size, TINY_TRAINING, generator(0))
    assert best == pytest.approx(history["best_val"])
    again = GPT(TINY, generator(16))
    assert train(again, TINY_TRAINING, data, data, generator(17), progress=False)["val"] == history["val"]


def test_estimate_loss_restores_training_mode():
    model = GPT(replace(TINY, dropout=0.5), generator(18))
    estimate_loss(model, pattern_data(), TINY.block_size, TINY_TRAINING, generator(0))
    assert model.training
    model.eval()
    estimate_loss(model, pattern_data(), TINY.block_size, TINY_TRAINING, generator(0))
    assert not model.training


def test_checkpoints_live_at_the_repository_root_in_a_checkout():
    assert checkpoint_dir() == CHECKPOINT_DIR


def test_checkpoint_round_trip(tmp_path):
    path = tmp_path / "gpt.pt"
    model = GPT(TINY, generator(19))
    save_checkpoint(path, model, TINY_TRAINING, 1337, HISTORY)
    saved = torch.load(path, weights_only=True)  # plain data only
    assert saved["model_config"]["n_embd"] == 16 and saved["train_config"]["batch_size"] == 8
    restored = GPT(TINY, generator(20))
    assert load_checkpoint(path, restored, TINY_TRAINING, 1337) == HISTORY
    for name, tensor in model.state_dict().items():
        assert torch.equal(restored.state_dict()[name], tensor), name


def test_a_checkpoint_of_another_shape_is_refused(tmp_path):
    path = tmp_path / "gpt.pt"
    save_checkpoint(path, GPT(TINY, generator(21)), TINY_TRAINING, 1337, HISTORY)
    deeper = GPT(replace(TINY, n_layers=3), generator())
    with pytest.raises(CheckpointError, match=r"gpt.pt is of another model: n_layers 2 instead of 3\."):
        load_checkpoint(path, deeper, TINY_TRAINING, 1337)
    wider = GPT(replace(TINY, n_embd=32, vocab_size=6), generator())
    with pytest.raises(CheckpointError, match="n_embd 16 instead of 32, vocab_size 5 instead of 6"):
        load_checkpoint(path, wider, TINY_TRAINING, 1337)


def test_a_checkpoint_of_another_run_is_refused(tmp_path):
    path = tmp_path / "gpt.pt"
    model = GPT(TINY, generator(22))
    save_checkpoint(path, model, TINY_TRAINING, 1337, HISTORY)
    with pytest.raises(CheckpointError, match=r"another configuration: learning_rate 0.01 instead of 0.1\."):
        load_checkpoint(path, model, replace(TINY_TRAINING, learning_rate=0.1), 1337)
    with pytest.raises(CheckpointError, match="another configuration: seed 1337 instead of 7"):
        load_checkpoint(path, model, TINY_TRAINING, 7)


def test_missing_and_corrupt_checkpoints_are_clear_errors(tmp_path):
    model = GPT(TINY, generator(23))
    with pytest.raises(CheckpointError, match="No checkpoint missing.pt yet"):
        load_checkpoint(tmp_path / "missing.pt", model, TINY_TRAINING, 1337)
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x00not a checkpoint")
    with pytest.raises(CheckpointError, match="corrupt.pt cannot be read"):
        load_checkpoint(corrupt, model, TINY_TRAINING, 1337)
    good = tmp_path / "good.pt"
    save_checkpoint(good, model, TINY_TRAINING, 1337, HISTORY)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="truncated.pt cannot be read"):
        load_checkpoint(truncated, model, TINY_TRAINING, 1337)


def test_estimated_seconds_counts_steps_and_evaluations():
    # evaluations at steps 0, 300, 600, 900 and the last, 1000: 5 x 2 splits x 30 batches
    run = TrainConfig(batch_size=8, learning_rate=1e-3, max_iters=1000, eval_interval=300,
                      eval_iters=30)
    assert estimated_seconds(0.01, 0.002, run) == pytest.approx(0.01 * 1000 + 0.002 * 5 * 2 * 30)
    exact = replace(run, max_iters=900)  # the last step is an evaluation step already
    assert estimated_seconds(0.01, 0.002, exact) == pytest.approx(0.01 * 900 + 0.002 * 4 * 2 * 30)


def test_measure_training_leaves_the_global_random_state_alone():
    data = pattern_data()
    torch.manual_seed(0)
    before = torch.rand(1)
    torch.manual_seed(0)
    for bf16 in (False, True):
        step, eval_batch = measure_training(TINY, replace(TINY_TRAINING, bf16=bf16), data, "cpu",
                                            steps=2)
        assert 0 < step < 5 and 0 < eval_batch < 5
    assert torch.equal(torch.rand(1), before)  # the run that follows draws as without it
