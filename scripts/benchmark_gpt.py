"""Benchmark notebook 09's GPT against a peer on this machine: nanoGPT's README CPU recipe
(PEER), the lecture's small configuration (SMALL) and ours (OURS, the "cpu" configuration),
in one invocation and one table.

    LECTURE_DATA_DIR=... python scripts/benchmark_gpt.py [--nanogpt PATH]
        [--runs peer small ours] [--precision auto|float32|bfloat16] [--threads 2]
        [--seed 1337] [--max-iters N]

Each run trains from scratch and is then scored by the same evaluator, the package's
split_loss: the mean loss over the whole validation split in consecutive chunks of the
model's block_size, in float32. The table gives each run's wall time (training, evaluations
included) and its ratio to the peer's. With --nanogpt, PEER is that nanoGPT checkout's own
train.py, run with the README recipe on our text; without it, PEER is the same recipe on our
model. --max-iters shortens every run (for tests; the losses are then far from the real
ones). Times are only meaningful on an idle machine: the load average is printed before and
after. This is a benchmark, not a test; it asserts nothing.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from tabulate import tabulate

from lecture_utils.chars import CharTokenizer, split_data
from lecture_utils.course.data import load_text
from lecture_utils.gpt import GPT, GPTConfig
from lecture_utils.gpt_training import CONFIGS, TrainConfig, measure_training, shortened, split_loss, train

# nanoGPT's README: "python train.py config/train_shakespeare_char.py" with these overrides.
PEER_RECIPE = {"device": "cpu", "compile": "False", "eval_iters": 20, "log_interval": 1,
               "block_size": 64, "batch_size": 12, "n_layer": 4, "n_head": 4, "n_embd": 128,
               "max_iters": 2000, "lr_decay_iters": 2000, "dropout": 0.0}
PEER_EVAL_INTERVAL = 250  # config/train_shakespeare_char.py's

# The same recipe on our model: the config file's learning rates, beta2 and warmup, train.py's
# weight decay, gradient clipping, GELU and tied embeddings.
PEER_MODEL = GPTConfig(block_size=64, n_layers=4, n_heads=4, n_embd=128, dropout=0.0,
                       activation="gelu", tied_embeddings=True)
PEER_TRAINING = TrainConfig(batch_size=12, learning_rate=1e-3, max_iters=2000, warmup_iters=100,
                            min_lr=1e-4, beta2=0.99, weight_decay=0.1, grad_clip=1.0,
                            eval_interval=PEER_EVAL_INTERVAL, eval_iters=20)

NOTES = {
    "peer": "nanoGPT recipe on our model (no checkout given); unlike nanoGPT's, ours has biases",
    "small": "the lecture's small model: about 1.82 after its 5,000 steps",
    "ours": "the 'cpu' configuration: aims at 1.60",
}


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nanogpt", type=Path, metavar="PATH",
                        help="a nanoGPT checkout: PEER runs its train.py (default: the recipe "
                             "on our model)")
    parser.add_argument("--runs", nargs="+", default=["peer", "small", "ours"],
                        choices=["peer", "small", "ours"], help="runs to make (default: all three)")
    parser.add_argument("--precision", default="auto", choices=["auto", "float32", "bfloat16"],
                        help="matrix multiplies of SMALL and OURS; auto: bfloat16 if a measured "
                             "step is faster (PEER trains in float32, as nanoGPT does on a CPU)")
    parser.add_argument("--threads", type=positive_int, default=os.cpu_count() or 1,
                        help="torch threads (default: one per core, what the notebook's GPT uses)")
    parser.add_argument("--seed", type=int, default=1337,
                        help="seed of the runs on our model (nanoGPT's train.py always uses 1337)")
    parser.add_argument("--max-iters", type=positive_int, metavar="N",
                        help="train every run for N steps only, evaluated at step N too and on at "
                             "most N batches (for tests)")
    args = parser.parse_args(argv)
    if args.nanogpt is not None and not (args.nanogpt / "train.py").is_file():
        parser.error(f"--nanogpt {args.nanogpt}: no train.py there, not a nanoGPT checkout")
    return args


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def with_precision(model_config, train_config, train_data, precision: str) -> TrainConfig:
    """`train_config` in `precision`; auto: bfloat16 only if its measured step is faster."""
    if precision == "auto":
        float32, bfloat16 = (replace(train_config, bf16=bf16) for bf16 in (False, True))
        float32_step, _ = measure_training(model_config, float32, train_data, "cpu")
        bfloat16_step, _ = measure_training(model_config, bfloat16, train_data, "cpu")
        return bfloat16 if bfloat16_step < float32_step else float32
    return replace(train_config, bf16=precision == "bfloat16")


def parameter_count(model: torch.nn.Module) -> int:
    # Counted on the instance, the same way for every run: tied weights once, positions included.
    return sum(p.numel() for p in model.parameters())


def score(model: torch.nn.Module, val_data: torch.Tensor) -> float:
    # split_loss reads only bf16 from its TrainConfig: PEER_TRAINING's scores every model in
    # float32, whatever precision it trained in.
    return split_loss(model, val_data, PEER_TRAINING)


def configuration(name: str) -> tuple[GPTConfig, TrainConfig]:
    """The model and training of a run on our model: the peer's recipe, or one of CONFIGS."""
    return {"peer": (PEER_MODEL, PEER_TRAINING), "small": CONFIGS["small"],
            "ours": CONFIGS["cpu"]}[name]


def train_ours(name, model_config, train_config, data, seed) -> dict:
    """Train a GPT of the package with the package's loop and score it."""
    train_data, val_data = data
    precision = "bfloat16" if train_config.bf16 else "float32"
    print(f"\n{name}, {precision}: {model_config}\n  {train_config}", flush=True)
    model = GPT(model_config, torch.Generator().manual_seed(seed))
    history = train(model, train_config, train_data, val_data, torch.Generator().manual_seed(seed))
    return {"run": name, "params": parameter_count(model), "steps": train_config.max_iters,
            "precision": precision, "seconds": history["seconds"],
            "val": score(model, val_data), "note": NOTES[name]}


def write_nanogpt_data(folder: Path, tokenizer: CharTokenizer, train_data, val_data) -> None:
    """What nanoGPT's data/shakespeare_char/prepare.py writes, from our text without a
    download: uint16 ids of our vocabulary and split, and meta.pkl."""
    folder.mkdir(parents=True)
    for split, data in (("train", train_data), ("val", val_data)):
        data.numpy().astype(np.uint16).tofile(folder / f"{split}.bin")
    meta = {"vocab_size": tokenizer.vocab_size, "itos": tokenizer.itos, "stoi": tokenizer.stoi}
    with open(folder / "meta.pkl", "wb") as f:
        pickle.dump(meta, f)


def peer_command(out_dir: Path, max_iters: int | None) -> list[str]:
    recipe = dict(PEER_RECIPE, out_dir=out_dir)
    if max_iters is not None:
        # cut as shortened() cuts ours; nanoGPT saves its checkpoint only at an evaluation
        # after step 0, which shortened()'s eval_interval guarantees
        short = shortened(PEER_TRAINING, max_iters)
        recipe.update(max_iters=max_iters, lr_decay_iters=max_iters,
                      warmup_iters=short.warmup_iters, eval_interval=short.eval_interval,
                      eval_iters=short.eval_iters)
    overrides = [f"--{key}={value}" for key, value in recipe.items()]
    return [sys.executable, "train.py", "config/train_shakespeare_char.py", *overrides]


def run_process(command: list[str], cwd: Path, threads: int) -> float:
    """Run `command`, echoing its evaluations, and return its wall time in seconds."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    tail = collections.deque(maxlen=20)  # the last lines, to show if it fails
    start = time.perf_counter()
    with subprocess.Popen(command, cwd=cwd, env=env, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT) as process:
        for line in process.stdout:  # log_interval=1: one line per step, show only evaluations
            tail.append(line)
            if line.startswith("step "):
                print("  nanoGPT " + line, end="", flush=True)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise RuntimeError(f"nanoGPT's train.py failed ({process.returncode}):\n{''.join(tail)}")
    return seconds


def load_nanogpt(checkout: Path, checkpoint: Path) -> tuple[torch.nn.Module, dict]:
    """The model that nanoGPT saved, built by the checkout's own model.py."""
    spec = importlib.util.spec_from_file_location("nanogpt_model", checkout / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    saved = torch.load(checkpoint, map_location="cpu", weights_only=True)
    model = module.GPT(module.GPTConfig(**saved["model_args"]))
    model.load_state_dict(saved["model"])
    model.block_size = model.config.block_size  # split_loss reads the chunk length here
    return model, saved


def train_nanogpt(checkout: Path, tokenizer, data, threads: int, max_iters: int | None) -> dict:
    """Run the checkout's train.py with the README recipe in a temporary copy, then score the
    checkpoint it saved (its lowest val loss, like our train's final weights)."""
    print(f"\npeer: nanoGPT {checkout}, float32", flush=True)
    with tempfile.TemporaryDirectory(prefix="nanogpt-") as work:
        work = Path(work)
        # train.py reads configurator.py, the config file and data/ relative to the cwd.
        shutil.copytree(checkout, work, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".git", "data", "out*"))
        write_nanogpt_data(work / "data" / "shakespeare_char", tokenizer, *data)
        checkpoint = work / "out" / "ckpt.pt"
        seconds = run_process(peer_command(checkpoint.parent, max_iters), work, threads)
        if not checkpoint.is_file():
            raise RuntimeError("nanoGPT saved no checkpoint: its val loss never beat step 0's")
        model, saved = load_nanogpt(checkout, checkpoint)
    steps = PEER_RECIPE["max_iters"] if max_iters is None else max_iters
    note = (f"nanoGPT's train.py, process wall time (start-up included); best step "
            f"{saved['iter_num']:,}, its own val estimate {float(saved['best_val_loss']):.4f}")
    return {"run": "peer", "params": parameter_count(model), "steps": steps,
            "precision": "float32", "seconds": seconds, "val": score(model, data[1]), "note": note}


def table(rows: list[dict]) -> str:
    peer = next((row["seconds"] for row in rows if row["run"] == "peer"), None)
    lines = [[row["run"], f"{row['params'] / 1e6:.4f}M", f"{row['steps']:,}", row["precision"],
              f"{row['seconds']:.1f}", "-" if peer is None else f"{row['seconds'] / peer:.2f}",
              f"{row['val']:.4f}", row["note"]] for row in rows]
    headers = ["run", "params", "steps", "precision", "wall s", "ratio to peer",
               "val (whole split)", "note"]
    return tabulate(lines, headers=headers, disable_numparse=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    text = load_text("shakespeare")
    tokenizer = CharTokenizer(text)
    data = split_data(torch.tensor(tokenizer.encode(text), dtype=torch.long))
    print(f"load average before: {load_average()}; torch threads: {args.threads}", flush=True)

    rows = []
    for name in args.runs:
        if name == "peer" and args.nanogpt is not None:
            rows.append(train_nanogpt(args.nanogpt, tokenizer, data, args.threads, args.max_iters))
            continue
        model_config, train_config = configuration(name)
        if args.max_iters is not None:
            train_config = shortened(train_config, args.max_iters)
        if name != "peer":  # the recipe trains in float32
            train_config = with_precision(model_config, train_config, data[0], args.precision)
        rows.append(train_ours(name, model_config, train_config, data, args.seed))

    print(f"\nload average after: {load_average()}")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
