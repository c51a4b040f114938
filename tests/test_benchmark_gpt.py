"""scripts/benchmark_gpt.py on a tiny budget: three runs scored by one evaluator in one table,
clear errors for bad arguments, and the nanoGPT path through a fake checkout. The script
reads only the first characters of tiny shakespeare here: scoring a whole validation split
of 111,540 characters takes seconds per model."""

import importlib.util
import math
import re
from pathlib import Path

import pytest
import torch

from lecture_utils.course.data import load_text

SCRIPT = Path(__file__).parents[1] / "scripts" / "benchmark_gpt.py"
TINY = ["--max-iters", "3", "--precision", "float32", "--threads", "1"]

# nanoGPT's README CPU recipe as --max-iters 3 shortens it; the fake train.py checks it.
SHORTENED_RECIPE = {"device": "cpu", "compile": "False", "eval_iters": "3", "log_interval": "1",
                    "block_size": "64", "batch_size": "12", "n_layer": "4", "n_head": "4",
                    "n_embd": "128", "max_iters": "3", "lr_decay_iters": "3", "dropout": "0.0",
                    "warmup_iters": "0", "eval_interval": "1"}

FAKE_MODEL = '''
from dataclasses import dataclass

from torch import nn
from torch.nn import functional as F


@dataclass
class GPTConfig:
    block_size: int
    vocab_size: int


class GPT(nn.Module):
    """A bigram model with nanoGPT's interface: config, and forward returning logits, loss."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.vocab_size)

    def forward(self, idx, targets=None):
        logits = self.wte(idx)
        return logits, F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
'''

# Checks what the benchmark hands to nanoGPT's train.py, then "trains": copies a checkpoint.
FAKE_TRAIN = '''
import os, pickle, shutil, sys
from pathlib import Path

import numpy as np

config, *overrides = sys.argv[1:]
settings = dict(arg[2:].split("=", 1) for arg in overrides)
out_dir = Path(settings.pop("out_dir"))
assert config == "config/train_shakespeare_char.py", config
assert settings == {recipe!r}, settings
assert os.environ["OMP_NUM_THREADS"] == "1"
folder = Path("data/shakespeare_char")
with open(folder / "meta.pkl", "rb") as f:
    meta = pickle.load(f)
train, val = (np.fromfile(folder / name, dtype=np.uint16) for name in ("train.bin", "val.bin"))
assert meta["vocab_size"] == len(meta["itos"]) == len(meta["stoi"])
assert "".join(meta["itos"][int(i)] for i in train[:13]) == "First Citizen"
assert len(train) == int(0.9 * (len(train) + len(val)))
print("iter 0: loss 4.17")
print("step 3: train loss 4.1744, val loss 4.1744")
out_dir.mkdir()
shutil.copy("prebuilt.pt", out_dir / "ckpt.pt")
'''


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def benchmark(monkeypatch):
    module = load_module("benchmark_gpt", SCRIPT)
    text = load_text("shakespeare")[:20_000]
    monkeypatch.setattr(module, "load_text", lambda name: text)
    return module


def table(output):
    """The printed table's rows, {run: {column: value}}: columns are 2 or more spaces apart."""
    lines = output.splitlines()
    dashes = next(i for i, line in enumerate(lines) if line.startswith("-----"))
    headers = re.split(r"\s{2,}", lines[dashes - 1].strip())
    rows = [dict(zip(headers, re.split(r"\s{2,}", line.strip()))) for line in lines[dashes + 1:]]
    return {row["run"]: row for row in rows}


def test_three_runs_in_one_table(benchmark, capsys):
    assert benchmark.main(TINY) == 0
    output = capsys.readouterr().out
    assert "load average before" in output and "load average after" in output
    assert "torch threads: 1" in output
    rows = table(output)
    assert list(rows) == ["peer", "small", "ours"]
    assert rows["peer"]["ratio to peer"] == "1.00"
    assert "no checkout given" in rows["peer"]["note"] and "biases" in rows["peer"]["note"]
    for row in rows.values():
        assert row["steps"] == "3"
        assert float(row["wall s"]) > 0 and float(row["ratio to peer"]) > 0
        assert 3 < float(row["val (whole split)"]) < 5  # about ln 65 = 4.17, almost untrained


@pytest.mark.parametrize("arguments, message", [
    (["--threads", "0"], "argument --threads: must be at least 1"),
    (["--max-iters", "0"], "argument --max-iters: must be at least 1"),
    (["--runs", "big"], "argument --runs: invalid choice: 'big'"),
    (["--nanogpt", "."], "not a nanoGPT checkout"),
])
def test_bad_arguments_are_argparse_errors(benchmark, capsys, arguments, message):
    with pytest.raises(SystemExit) as exit_info:
        benchmark.main(arguments)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_nanogpt_checkout_is_run_and_scored(benchmark, capsys, tmp_path):
    checkout = tmp_path / "nanoGPT"
    checkout.mkdir()
    (checkout / "model.py").write_text(FAKE_MODEL)
    (checkout / "train.py").write_text(FAKE_TRAIN.format(recipe=SHORTENED_RECIPE))
    fake = load_module("fake_nanogpt_model", checkout / "model.py")
    model = fake.GPT(fake.GPTConfig(block_size=64, vocab_size=65))
    torch.nn.init.zeros_(model.wte.weight)  # uniform predictions: a loss of exactly ln 65
    torch.save({"model_args": {"block_size": 64, "vocab_size": 65}, "model": model.state_dict(),
                "iter_num": 3, "best_val_loss": torch.tensor(4.1744)}, checkout / "prebuilt.pt")

    assert benchmark.main(["--nanogpt", str(checkout), "--runs", "peer", *TINY]) == 0
    output = capsys.readouterr().out
    assert "nanoGPT step 3: train loss" in output and "iter 0" not in output
    peer = table(output)["peer"]
    assert peer["params"] == f"{65 * 65 / 1e6:.4f}M" and peer["steps"] == "3"
    assert peer["ratio to peer"] == "1.00"
    assert float(peer["val (whole split)"]) == pytest.approx(math.log(65), abs=1e-4)
    assert "nanoGPT's train.py" in peer["note"] and "best step 3" in peer["note"]
