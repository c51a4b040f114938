"""Benchmark notebook 08's GPT configurations on this machine: training wall time and best
validation loss of our CPU configuration next to the lecture's small one.

    LECTURE_DATA_DIR=... python scripts/benchmark_gpt.py [--configs cpu small] [--seed 1337]

It trains with the package's own code (lecture_utils.gpt: the same model, training loop and
configurations as the notebook), a fixed number of steps each, so the losses are
reproducible and only the times depend on the machine. Times are only meaningful on an
idle machine: the load average is printed before and after. This is a benchmark, not a
test; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import torch
from tabulate import tabulate

from lecture_utils.chars import CharTokenizer, split_data
from lecture_utils.course.data import load_text
from lecture_utils.gpt import CONFIGS, GPT, count_parameters, train

REFERENCES = {
    "cpu": "ours: at most 1.70 within 90 s on 2 cores",
    "small": "lecture: about 1.82",
    "lecture": "lecture: about 1.48 (GPU)",
}


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--configs", nargs="+", default=["cpu", "small"], choices=sorted(CONFIGS),
                        help="configurations to train (default: cpu small)")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1, what the notebook uses)")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error("--threads must be at least 1")

    torch.set_num_threads(args.threads)
    text = load_text("shakespeare")
    tokenizer = CharTokenizer(text)
    train_data, val_data = split_data(torch.tensor(tokenizer.encode(text), dtype=torch.long))
    print(f"load average before: {load_average()}; torch threads: {args.threads}", flush=True)

    rows = []
    for name in args.configs:
        config = CONFIGS[name]
        print(f"\n{name}: {config}", flush=True)
        model = GPT(config, torch.Generator().manual_seed(args.seed))
        cpu_start = time.process_time()
        history = train(model, config, train_data, val_data,
                        torch.Generator().manual_seed(args.seed))
        cpu_seconds = time.process_time() - cpu_start
        rows.append([name, f"{count_parameters(config) / 1e6:.4f}M", f"{config.max_iters:,}",
                     f"{history['seconds']:.1f}", f"{cpu_seconds:.1f}",
                     f"{history['best_val']:.4f}", f"{history['best_step']:,}",
                     f"{history['val'][-1]:.4f}", REFERENCES[name]])

    print(f"\nload average after: {load_average()}")
    headers = ["config", "params", "steps", "wall s", "CPU s", "best val", "best step",
               "last val", "reference"]
    print(tabulate(rows, headers=headers, disable_numparse=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
