"""Benchmark notebook 08's GPT configurations on this machine: training wall time and best
validation loss of our CPU configuration next to the lecture's small one, in float32 and with
bfloat16 autocast side by side.

    LECTURE_DATA_DIR=... python scripts/benchmark_gpt.py [--configs cpu small]
        [--precisions float32 bfloat16] [--threads 2] [--seed 1337]

It trains with the package's own code, the notebook's: the model of lecture_utils.gpt, the
training loop and configurations of lecture_utils.gpt_training, a fixed number of steps
each, so the losses are reproducible and only the times depend on the machine. Times are
only meaningful on an idle machine: the load average is printed before and after. This is
a benchmark, not a test; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace

import torch
from tabulate import tabulate

from lecture_utils.chars import CharTokenizer, split_data
from lecture_utils.course.data import load_text
from lecture_utils.gpt import GPT, count_parameters
from lecture_utils.gpt_training import CONFIGS, estimated_seconds, measure_training, train

REFERENCES = {
    "cpu": "ours: at most 1.70 in 1,800 steps on 2 cores",
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
    parser.add_argument("--precisions", nargs="+", default=["float32", "bfloat16"],
                        choices=["float32", "bfloat16"],
                        help="matrix multiplies in float32 and/or bfloat16 (default: both)")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="torch threads (default: one per core, what the notebook's GPT uses)")
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
        model_config, base_config = CONFIGS[name]
        for precision in args.precisions:
            train_config = replace(base_config, bf16=precision == "bfloat16")
            print(f"\n{name}, {precision}: {model_config}\n  {train_config}", flush=True)
            step_seconds, eval_seconds = measure_training(model_config, train_config, train_data,
                                                          "cpu")
            model = GPT(model_config, torch.Generator().manual_seed(args.seed))
            cpu_start = time.process_time()
            history = train(model, train_config, train_data, val_data,
                            torch.Generator().manual_seed(args.seed))
            cpu_seconds = time.process_time() - cpu_start
            rows.append([name, precision, f"{count_parameters(model_config) / 1e6:.4f}M",
                         f"{train_config.max_iters:,}", f"{step_seconds * 1e3:.1f}",
                         f"{estimated_seconds(step_seconds, eval_seconds, train_config):.1f}",
                         f"{history['seconds']:.1f}", f"{cpu_seconds:.1f}",
                         f"{history['best_val']:.4f}", f"{history['best_step']:,}",
                         REFERENCES[name]])

    print(f"\nload average after: {load_average()}")
    headers = ["config", "precision", "params", "steps", "step ms", "estimated s", "wall s",
               "CPU s", "best val", "best step", "reference"]
    print(tabulate(rows, headers=headers, disable_numparse=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
