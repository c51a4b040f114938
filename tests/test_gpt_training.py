"""Training notebook 09's GPT, with tiny shapes: the configurations and the later changes
they add, the learning-rate schedules, AdamW and Muon, short seeded training runs,
estimate_loss and split_loss, and checkpoints (round trip, missing,
corrupt, another shape of model, other training settings or seed)."""

from dataclasses import replace

import pytest
import torch

from lecture_utils import gpt_training
from lecture_utils.course.paths import CHECKPOINT_DIR
from lecture_utils.gpt import GPT, GPTConfig, count_parameters
from lecture_utils.gpt_training import (
    CONFIGS,
    LATER_CHANGES,
    BatchedMuon,
    CheckpointError,
    TrainConfig,
    checkpoint_dir,
    estimate_loss,
    estimated_seconds,
    learning_rate_at,
    load_checkpoint,
    make_optimizers,
    measure_training,
    save_checkpoint,
    shortened,
    split_loss,
    train,
    with_changes,
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
    assert count_parameters(CONFIGS["cpu_adamw"][0]) == 326_145
    assert count_parameters(CONFIGS["cpu"][0]) == 321_025  # rotary: no table of 64 x 80


def test_cpu_is_cpu_adamw_with_every_later_change():
    assert with_changes(*CONFIGS["cpu_adamw"], LATER_CHANGES) == CONFIGS["cpu"]
    model_config, train_config = CONFIGS["cpu"]
    assert model_config.positions == "rotary" and model_config.qk_norm
    assert train_config.muon_lr is not None and train_config.schedule == "wsd"
    assert CONFIGS["cpu_adamw"][1].muon_lr is None  # the lecture's AdamW


def test_shortened_cuts_steps_warmup_and_evaluations_to_fit():
    model_config, train_config = CONFIGS["cpu"]
    short = shortened(train_config, 60)
    assert (short.max_iters, short.warmup_iters, short.eval_interval, short.eval_iters) == (60, 6, 15, 10)
    assert replace(short, max_iters=1400, warmup_iters=50, eval_interval=350) == train_config
    small = shortened(CONFIGS["small"][1], 3)  # 200 batches per estimate would outweigh 3 steps
    assert (small.warmup_iters, small.eval_interval, small.eval_iters) == (0, 1, 3)


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


def test_wsd_schedule_holds_the_peak_then_falls_in_a_straight_line():
    wsd = TrainConfig(batch_size=8, learning_rate=1e-2, max_iters=100, warmup_iters=10,
                      min_lr=0.0, schedule="wsd", cooldown=0.4)
    assert learning_rate_at(0, wsd) == pytest.approx(1e-3)
    assert learning_rate_at(10, wsd) == learning_rate_at(60, wsd) == pytest.approx(1e-2)
    assert learning_rate_at(80, wsd) == pytest.approx(0.5e-2)  # halfway down the cooldown
    assert learning_rate_at(100, wsd) == pytest.approx(0.0)
    rates = [learning_rate_at(step, wsd) for step in range(60, 101)]
    steps = [a - b for a, b in zip(rates, rates[1:])]
    assert all(step == pytest.approx(steps[0]) for step in steps)  # a straight line


@pytest.mark.parametrize(("fields", "message"), [
    ({"schedule": "linear"}, "schedule must be 'cosine' or 'wsd'"),
    ({"cooldown": 0.0}, r"cooldown is a fraction of the steps, in \(0, 1\]"),
])
def test_bad_training_options_are_clear_errors(fields, message):
    with pytest.raises(ValueError, match=message):
        replace(TINY_TRAINING, **fields)


def test_muon_takes_the_blocks_matrices_and_adamw_the_rest():
    model = GPT(replace(TINY, tied_embeddings=True), generator(24))
    adamw, muon = make_optimizers(model, replace(TINY_TRAINING, muon_lr=0.02))
    assert isinstance(adamw, torch.optim.AdamW) and isinstance(muon, BatchedMuon)
    names = {id(p): name for name, p in model.named_parameters()}
    in_muon = {names[id(p)] for p in muon.param_groups[0]["params"]}
    assert in_muon == {name for name, p in model.named_parameters()
                       if name.startswith("blocks.") and p.ndim == 2}
    decayed, not_decayed = adamw.param_groups
    assert {names[id(p)] for p in decayed["params"]} == {"token_embedding_table.weight",
                                                         "position_embedding_table.weight"}
    assert decayed["weight_decay"] == TINY_TRAINING.weight_decay and not_decayed["weight_decay"] == 0
    assert all(p.ndim == 1 for p in not_decayed["params"])
    every = [p for group in adamw.param_groups + muon.param_groups for p in group["params"]]
    assert len(every) == len({id(p) for p in every}) == len(list(model.parameters()))


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_batched_muon_steps_as_torch_muon(weight_decay):
    """The oracle: torch.optim.Muon, on matrices of repeated, tall and wide shapes."""
    shapes = [(12, 4), (4, 12), (6, 6), (12, 4), (6, 6), (5, 7)]
    g = generator(30)
    theirs = [torch.nn.Parameter(torch.randn(shape, generator=g)) for shape in shapes]
    ours = [torch.nn.Parameter(p.detach().clone()) for p in theirs]
    start = [p.detach().clone() for p in theirs]
    settings = dict(lr=0.05, weight_decay=weight_decay, adjust_lr_fn="match_rms_adamw")
    optimizers = [torch.optim.Muon(theirs, **settings), BatchedMuon(ours, **settings)]
    for _ in range(4):
        for p, q in zip(theirs, ours):
            p.grad = torch.randn(p.shape, generator=g)
            q.grad = p.grad.clone()
        for optimizer in optimizers:
            optimizer.step()
    for p, q in zip(theirs, ours):
        torch.testing.assert_close(q, p, atol=1e-5, rtol=1e-5)  # a wrong step is off by ~1e-2
    assert all((p - p0).abs().min() > 0 for p, p0 in zip(theirs, start))  # every weight moved



@pytest.mark.parametrize("option", [{"nesterov": False}, {"adjust_lr_fn": "original"},
                                    {"adjust_lr_fn": None}])
def test_batched_muon_refuses_the_steps_it_does_not_take(option):
    weight = torch.nn.Parameter(torch.zeros(4, 6))
    with pytest.raises(ValueError, match="use torch.optim.Muon for the others"):
        BatchedMuon([weight], lr=0.02, **option)

def test_without_muon_adamw_trains_everything():
    model = GPT(TINY, generator(25))
    (adamw,) = make_optimizers(model, TINY_TRAINING)
    assert sum(len(group["params"]) for group in adamw.param_groups) == len(list(model.parameters()))


def test_a_run_with_every_later_change_learns_and_repeats():
    data = pattern_data()
    later_model = replace(TINY, positions="rotary", qk_norm=True, zero_init_projections=True)
    later_training = replace(TINY_TRAINING, warmup_iters=5, min_lr=0.0, schedule="wsd", muon_lr=0.02)
    history = train(GPT(later_model, generator(26)), later_training, data, data, generator(27),
                    progress=False)
    assert history["val"][0] == pytest.approx(1.61, abs=0.05)  # zero-init blocks: ln(5) at first
    assert history["best_val"] < 0.3
    again = train(GPT(later_model, generator(26)), later_training, data, data, generator(27),
                  progress=False)
    assert again["val"] == history["val"]


def test_split_loss_counts_every_position_once():
    data = pattern_data()
    model = GPT(TINY, generator(28))
    n_chunks = (len(data) - 1) // TINY.block_size
    x = data[:n_chunks * TINY.block_size].view(n_chunks, TINY.block_size)
    y = data[1:n_chunks * TINY.block_size + 1].view(n_chunks, TINY.block_size)
    with torch.no_grad():
        logits, _ = model(x)
        expected = torch.nn.functional.cross_entropy(logits.view(-1, 5), y.reshape(-1)).item()
    assert split_loss(model, data, TINY_TRAINING) == pytest.approx(expected, rel=1e-5)
    assert model.training  # left as it was


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


def test_a_checkpoint_of_another_release_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "gpt.pt"
    model = GPT(TINY, generator(24))
    monkeypatch.setattr(gpt_training, "CODE_VERSION", "0.5.1")
    save_checkpoint(path, model, TINY_TRAINING, 1337, HISTORY)
    assert torch.load(path, weights_only=True)["code_version"] == "0.5.1"
    monkeypatch.setattr(gpt_training, "CODE_VERSION", "0.6.0")
    with pytest.raises(CheckpointError, match=r"gpt.pt was saved by lecture_utils 0.5.1, not by "
                                              r"this release \(0.6.0\)"):
        load_checkpoint(path, model, TINY_TRAINING, 1337)
    unversioned = {k: v for k, v in torch.load(path, weights_only=True).items() if k != "code_version"}
    torch.save(unversioned, path)  # as the releases before 0.5.1 saved them
    with pytest.raises(CheckpointError, match="saved by lecture_utils before 0.5.1"):
        load_checkpoint(path, model, TINY_TRAINING, 1337)


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
