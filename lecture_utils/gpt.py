"""A character-level GPT, as notebook 08 builds it piece by piece: the bigram baseline, one
attention head, multi-head attention (per-head modules, and all heads in one batched
module), the feed-forward layer, LayerNorm from scratch, the transformer block and the GPT
itself; the configurations (the lecture's, its small one, and our CPU one); estimate_loss,
the training loop with warmup and cosine decay that keeps the best weights, and checkpoints.

The definitions below are saved from notebook 08 (`python -m lecture_utils sync`); edit them
there, not here.
"""

import copy
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn as nn
from torch.nn import functional as F
from tqdm.auto import tqdm

import lecture_utils
from lecture_utils.chars import get_batch


@dataclass(frozen=True)
class GPTConfig:
    """A model's shape and how to train it. `learning_rate` is the peak rate: without
    `min_lr` it stays constant (the lecture's way); with `min_lr` it rises linearly over
    `warmup_iters` steps, then follows half a cosine down to `min_lr` at `max_iters`."""

    block_size: int  # the longest context, in characters
    n_embd: int  # channels of the residual stream
    n_heads: int
    n_layers: int
    dropout: float
    batch_size: int
    learning_rate: float
    max_iters: int
    warmup_iters: int = 0
    min_lr: float | None = None
    beta2: float = 0.999  # AdamW's second-moment decay
    eval_interval: int = 500  # steps between two estimates of the loss
    eval_iters: int = 200  # batches averaged by each estimate
    vocab_size: int = 65
    bf16: bool = False  # matrix multiplies in bfloat16 (weights stay float32)
    fused_attention: bool = True  # F.scaled_dot_product_attention, or the spelled-out maths


def autocast(model, config):
    """The context for forward passes: bfloat16 autocast when config.bf16, else a no-op."""
    device_type = next(model.parameters()).device.type
    return torch.autocast(device_type, dtype=torch.bfloat16, enabled=config.bf16)


@torch.no_grad()
def estimate_loss(model, data, config, generator):
    """The model's mean loss over `config.eval_iters` random batches of `data`, in eval mode."""
    was_training = model.training
    model.eval()  # dropout off
    device = next(model.parameters()).device
    x, y = get_batch(data, config.block_size, config.batch_size * config.eval_iters, generator)
    rows = max(1, 32_768 // config.block_size)  # chunks per forward pass: bounded memory
    total = 0.0
    for start in range(0, len(x), rows):
        xs, ys = x[start:start + rows].to(device), y[start:start + rows].to(device)
        with autocast(model, config):
            total += model(xs, ys)[1].item() * len(xs)
    model.train(was_training)
    return total / len(x)


def init_weights(model, generator, std=0.02):
    """Every Linear and Embedding weight from N(0, std^2) and every bias 0 (the lecture's
    final model does this), drawn from `generator` so that a seed fixes the whole model."""
    for module in model.modules():
        if isinstance(module, nn.Linear | nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=std, generator=generator)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)


class LanguageModel(nn.Module):
    """What every model here shares: forward(idx, targets) -> (logits, loss), and sampling."""

    block_size = None  # the longest context the model can read; None: no limit

    @staticmethod
    def loss(logits, targets):
        B, T, C = logits.shape
        return F.cross_entropy(logits.view(B * T, C), targets.view(B * T))

    @torch.no_grad()
    def generate(self, idx, max_new_tokens, generator):
        """Extend every row of idx (B, T) by `max_new_tokens` characters sampled one by one."""
        was_training = self.training
        self.eval()
        for _ in range(max_new_tokens):
            context = idx if self.block_size is None else idx[:, -self.block_size:]
            logits, _ = self(context)
            probs = F.softmax(logits[:, -1, :], dim=-1)  # only the last position is new
            next_ids = torch.multinomial(probs.cpu(), num_samples=1, generator=generator)
            idx = torch.cat((idx, next_ids.to(idx.device)), dim=1)
        self.train(was_training)
        return idx


class BigramLanguageModel(LanguageModel):
    """Each character reads the logits of the next one from its row of a (vocab, vocab) table."""

    def __init__(self, vocab_size, generator):
        super().__init__()
        self.token_embedding_table = nn.Embedding(vocab_size, vocab_size)
        init_weights(self, generator, std=1.0)  # N(0, 1), nn.Embedding's own default

    def forward(self, idx, targets=None):
        logits = self.token_embedding_table(idx)  # (B, T, vocab_size)
        return logits, None if targets is None else self.loss(logits, targets)


class Head(nn.Module):
    """One head of causal self-attention, (B, T, n_embd) -> (B, T, head_size)."""

    def __init__(self, n_embd, head_size, block_size, dropout=0.0):
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)),
                             persistent=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        B, T, C = x.shape
        q, k = self.query(x), self.key(x)  # (B, T, head_size)
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5  # (B, T, T), scaled by head_size
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))  # no peeking ahead
        wei = self.dropout(F.softmax(wei, dim=-1))
        return wei @ self.value(x)  # (B, T, head_size)


def learning_rate_at(step, config):
    """The learning rate of `step`: constant, or linear warmup then cosine decay to min_lr."""
    if config.min_lr is None:
        return config.learning_rate
    if step < config.warmup_iters:
        return config.learning_rate * (step + 1) / config.warmup_iters
    progress = (step - config.warmup_iters) / max(1, config.max_iters - config.warmup_iters)
    cosine = 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))  # from 1 down to 0
    return config.min_lr + (config.learning_rate - config.min_lr) * cosine


def train(model, config, train_data, val_data, generator, eval_seed=0, progress=True):
    """Train `model` with AdamW for `config.max_iters` steps and return its history: the steps
    evaluated, train and val loss there, best_val and best_step, and the wall time in seconds
    (evaluations included). The model ends with the weights of its lowest val loss."""
    device = next(model.parameters()).device
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate,
                                  betas=(0.9, config.beta2), fused=True)
    history = {"step": [], "train": [], "val": [], "best_val": math.inf, "best_step": 0}
    best_weights = None
    start = time.perf_counter()
    bar = tqdm(range(config.max_iters + 1), desc="training", disable=not progress,
               mininterval=5, miniters=config.eval_interval)
    for step in bar:
        if step % config.eval_interval == 0 or step == config.max_iters:
            losses = [estimate_loss(model, data, config, torch.Generator().manual_seed(eval_seed))
                      for data in (train_data, val_data)]
            for key, value in zip(("step", "train", "val"), [step, *losses], strict=True):
                history[key].append(value)
            if losses[1] < history["best_val"]:
                history["best_val"], history["best_step"] = losses[1], step
                best_weights = copy.deepcopy(model.state_dict())
            bar.set_postfix(train=f"{losses[0]:.4f}", val=f"{losses[1]:.4f}", refresh=False)
        if step == config.max_iters:
            break
        for group in optimizer.param_groups:
            group["lr"] = learning_rate_at(step, config)
        x, y = get_batch(train_data, config.block_size, config.batch_size, generator)
        with autocast(model, config):
            _, loss = model(x.to(device), y.to(device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    model.load_state_dict(best_weights)
    history["seconds"] = time.perf_counter() - start
    return history


def check_heads(n_embd, n_heads):
    """Heads split the channels evenly: n_embd must be a multiple of n_heads."""
    if n_heads < 1 or n_embd % n_heads:
        raise ValueError(f"n_embd ({n_embd}) must be divisible by n_heads ({n_heads}): each "
                         f"head gets n_embd // n_heads channels. Change one of them.")


class MultiHeadAttention(nn.Module):
    """n_heads Heads side by side, each of size n_embd // n_heads; their concatenated outputs
    are mixed by one Linear layer, the projection back into the residual stream."""

    def __init__(self, n_embd, n_heads, block_size, dropout=0.0):
        super().__init__()
        check_heads(n_embd, n_heads)
        head_size = n_embd // n_heads
        self.heads = nn.ModuleList(
            [Head(n_embd, head_size, block_size, dropout) for _ in range(n_heads)])
        self.proj = nn.Linear(n_embd, n_embd)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        out = torch.cat([head(x) for head in self.heads], dim=-1)  # (B, T, n_embd)
        return self.dropout(self.proj(out))


class FeedForward(nn.Module):
    """Per position: Linear to 4 * n_embd, ReLU, Linear back to n_embd, dropout."""

    def __init__(self, n_embd, dropout=0.0):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_embd, 4 * n_embd),
            nn.ReLU(),
            nn.Linear(4 * n_embd, n_embd),  # the projection back into the residual stream
            nn.Dropout(dropout),
        )

    def forward(self, x):
        return self.net(x)


class LayerNorm(nn.Module):
    """BatchNorm's normalisation over the last dimension instead of the batch: each
    position's features get mean 0 and variance 1, then a learned gain and bias."""

    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))  # the gain (gamma in notebook 05)
        self.bias = nn.Parameter(torch.zeros(dim))  # beta

    def forward(self, x):
        mean = x.mean(-1, keepdim=True)  # BatchNorm: x.mean(0, keepdim=True)
        var = x.var(-1, keepdim=True, unbiased=False)  # the biased variance, as nn.LayerNorm
        return self.weight * (x - mean) / torch.sqrt(var + self.eps) + self.bias


class CausalSelfAttention(nn.Module):
    """MultiHeadAttention with the heads as a batch dimension: one Linear for every head's
    query, key and value, and one batched attention, (B, n_heads, T, head_size). fused=True
    uses F.scaled_dot_product_attention, fused=False the spelled-out maths of Head."""

    def __init__(self, n_embd, n_heads, block_size, dropout=0.0, fused=True):
        super().__init__()
        check_heads(n_embd, n_heads)
        self.n_heads, self.dropout_p, self.fused = n_heads, dropout, fused
        self.qkv = nn.Linear(n_embd, 3 * n_embd, bias=False)
        self.proj = nn.Linear(n_embd, n_embd)
        self.attn_dropout = nn.Dropout(dropout)
        self.resid_dropout = nn.Dropout(dropout)
        self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size)),
                             persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        # (B, T, 3C) -> q, k, v of (B, T, C) each -> (B, n_heads, T, head_size)
        q, k, v = (part.view(B, T, self.n_heads, C // self.n_heads).transpose(1, 2)
                   for part in self.qkv(x).split(C, dim=2))
        if self.fused:
            dropout_p = self.dropout_p if self.training else 0.0
            out = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout_p, is_causal=True)
        else:
            wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5  # (B, n_heads, T, T)
            wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))
            out = self.attn_dropout(F.softmax(wei, dim=-1)) @ v
        out = out.transpose(1, 2).reshape(B, T, C)  # the heads side by side, as torch.cat
        return self.resid_dropout(self.proj(out))

    @torch.no_grad()
    def copy_from(self, mha):
        """Take the weights of a MultiHeadAttention of the same shape, head by head."""
        C = self.proj.in_features
        for i, name in enumerate(("query", "key", "value")):
            self.qkv.weight[i * C:(i + 1) * C] = torch.cat(
                [getattr(head, name).weight for head in mha.heads])
        self.proj.load_state_dict(mha.proj.state_dict())


class Block(nn.Module):
    """A pre-norm transformer block: x + attention(ln1(x)), then x + feed_forward(ln2(x))."""

    def __init__(self, n_embd, n_heads, block_size, dropout=0.0, fused=True):
        super().__init__()
        self.ln1 = nn.LayerNorm(n_embd)
        self.attention = CausalSelfAttention(n_embd, n_heads, block_size, dropout, fused)
        self.ln2 = nn.LayerNorm(n_embd)
        self.feed_forward = FeedForward(n_embd, dropout)

    def forward(self, x):
        x = x + self.attention(self.ln1(x))  # communication
        return x + self.feed_forward(self.ln2(x))  # computation


class GPT(LanguageModel):
    """Token and position embeddings, n_layers Blocks, a final LayerNorm and lm_head."""

    def __init__(self, config, generator):
        super().__init__()
        check_heads(config.n_embd, config.n_heads)
        self.config, self.block_size = config, config.block_size
        self.token_embedding_table = nn.Embedding(config.vocab_size, config.n_embd)
        self.position_embedding_table = nn.Embedding(config.block_size, config.n_embd)
        self.blocks = nn.Sequential(*[
            Block(config.n_embd, config.n_heads, config.block_size, config.dropout,
                  config.fused_attention)
            for _ in range(config.n_layers)])
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size)
        init_weights(self, generator)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        if T > self.block_size:
            raise ValueError(f"The context has {T} tokens but the model reads at most "
                             f"{self.block_size} (its block_size). Crop it: idx[:, -block_size:].")
        positions = torch.arange(T, device=idx.device)
        x = self.token_embedding_table(idx) + self.position_embedding_table(positions)
        logits = self.lm_head(self.ln_f(self.blocks(x)))  # (B, T, vocab_size)
        return logits, None if targets is None else self.loss(logits, targets)


CONFIGS = {
    # the lecture's final model: about 1.48 after 15 minutes on a GPU
    "lecture": GPTConfig(block_size=256, n_embd=384, n_heads=6, n_layers=6, dropout=0.2,
                         batch_size=64, learning_rate=3e-4, max_iters=5000),
    # the lecture's small model for CPUs: about 1.82
    "small": GPTConfig(block_size=32, n_embd=64, n_heads=4, n_layers=4, dropout=0.0,
                       batch_size=16, learning_rate=1e-3, max_iters=5000),
    # ours, measured on a 2-core CPU: about 70 s of training (one thread) for about 1.68
    "cpu": GPTConfig(block_size=64, n_embd=80, n_heads=4, n_layers=4, dropout=0.0,
                     batch_size=32, learning_rate=5e-3, max_iters=1800, warmup_iters=50,
                     min_lr=5e-4, beta2=0.99, eval_interval=300, eval_iters=20, bf16=True,
                     fused_attention=False),
}


def count_parameters(config):
    """The GPT's parameter count for `config`, without allocating its weights."""
    with torch.device("meta"):  # shapes only: even a 10M-parameter model costs nothing
        model = GPT(config, generator=None)
    return sum(p.numel() for p in model.parameters())


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be used; the message says why."""


def checkpoint_dir():
    """checkpoints/ at the repository root in a checkout (git ignores it), else in the
    current folder (on Colab)."""
    root = Path(lecture_utils.__file__).resolve().parent.parent
    return root / "checkpoints" if (root / "pyproject.toml").is_file() else Path("checkpoints")


def save_checkpoint(path, model, config, seed, history):
    """Save the weights with the configuration, seed and history they were trained with."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"config": asdict(config), "seed": seed, "history": history,
                "model": model.state_dict()}, path)


def load_checkpoint(path, model, config, seed):
    """Load the weights at `path` into `model` and return their history; CheckpointError
    when the file is missing, unreadable, or from another configuration or seed."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"No checkpoint {path.name} yet.")
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
        saved_config, saved_seed = saved["config"], saved["seed"]
        history, weights = saved["history"], saved["model"]
    except Exception as exc:  # truncated or foreign files fail in many ways
        raise CheckpointError(f"Checkpoint {path.name} cannot be read: it is damaged or not a "
                              f"checkpoint of this notebook ({type(exc).__name__}).") from exc
    wanted = {**asdict(config), "seed": seed}
    found = {**saved_config, "seed": saved_seed}
    differences = [f"{key} {found.get(key)!r} instead of {value!r}"
                   for key, value in wanted.items() if found.get(key) != value]
    if differences:
        raise CheckpointError(f"Checkpoint {path.name} was trained with another "
                              f"configuration: {', '.join(differences)}.")
    try:
        model.load_state_dict(weights)
    except RuntimeError as exc:
        raise CheckpointError(f"Checkpoint {path.name} does not fit the model: "
                              f"{str(exc)[:120]}") from exc
    return history
