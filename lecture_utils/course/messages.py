"""What the widgets say, in the languages besides English: English template -> translation.

`language.say(template, **fields)` looks a template up here; the English template is the key,
so the code reads in English. Every template `say` is given must be here with the same
{fields} (tests/course/test_language.py checks both ways).
"""

TRANSLATIONS = {
    "zh": {
        # widgets.base
        "{description} = {value:g} lies outside the slider's usual range, {low:g} to {high:g}: "
        "the slider was widened to show it exactly.":
            "{description} = {value:g} 超出了滑块通常的范围（{low:g} 到 {high:g}）："
            "滑块已加宽，以便准确显示它。",
        " (run the notebook to use it)": "（运行笔记本即可使用）",
        # widgets.softmax
        "temperature": "温度",
        "temperature = {value!r} cannot be used: the logits are divided by it, so it must be a "
        "number above 0 (T -> 0 approaches the argmax). Showing {low:g}, the slider's lowest.":
            "温度 = {value!r} 不能用：logits 要除以它，所以它必须是大于 0 的数"
            "（T -> 0 时趋近 argmax）。现在显示滑块的最小值 {low:g}。",
        "sliders for {count} logits and a temperature": "{count} 个 logits 和一个温度的滑块",
        "next-character probabilities and sampled names at a temperature":
            "某个温度下下一个字符的概率，以及采样出的名字",
        "names": "名字个数",
        "Give one label per logit (got {labels} labels for {logits} logits), and at least one logit.":
            "每个 logit 需要一个标签（现在是 {labels} 个标签对 {logits} 个 logits），"
            "并且至少要有一个 logit。",
        "logit {label}": "logit {label}",
        "sum of the exp-counts: {total:.4g}; probability = exp-count / sum.":
            "exp 计数之和：{total:.4g}；概率 = exp 计数 / 总和。",
        "logits_table must be a square table with one row per character ({n} x {n}), got shape {shape}.":
            "logits_table 必须是每个字符一行的方阵（{n} x {n}），实际形状是 {shape}。",
        "previous": "前一个字符",
        "seed": "随机种子",
        "Unknown previous character {previous!r}. Type exactly one of: {known} "
        "('.' is the start of a name).":
            "未知的前一个字符 {previous!r}。请只输入其中一个：{known}（'.' 表示名字的开头）。",
        "seed must be 0 or more, got {seed}.": "随机种子必须大于等于 0，现在是 {seed}。",
        "Next character after {previous!r} at temperature {temperature:.2f}:":
            "温度 {temperature:.2f} 下，{previous!r} 之后下一个字符的概率：",
        "outcome": "结果",
        "probability": "概率",
        " (cut at max_length)": "（在 max_length 处截断）",
        "Names sampled at this temperature:": "在这个温度下采样出的名字：",
        # widgets.attention
        "key: the token being read": "键 (key)：被读取的词元",
        "query: the token reading": "查询 (query)：正在读取的词元",
        "attention weights of {heads} heads on a text you type":
            "{heads} 个注意力头在你输入的文本上的注意力权重",
        "attention weights of {layers} layers x {heads} heads on a text you type":
            "{layers} 层 x {heads} 个注意力头在你输入的文本上的注意力权重",
        "The text is empty. Type a few characters to see their attention.":
            "文本是空的。输入几个字符，就能看到它们的注意力。",
        "{character} is not in the tokenizer's vocabulary. Use only characters from the training text.":
            "{character} 不在分词器的词表里。请只使用训练文本中出现过的字符。",
        "The text has {count} tokens but the model sees at most {max_length} (its block_size). "
        "Shorten the text.":
            "文本有 {count} 个词元，但模型最多只能看到 {max_length} 个（它的 block_size）。请缩短文本。",
        "head": "注意力头",
        "layer": "层",
        "{name} {value!r} does not exist: this model has {count} {name}s, numbered 0 to {last}.":
            "{name} {value!r} 不存在：这个模型有 {count} 个{name}，编号从 0 到 {last}。",
        "{name} {value!r} does not exist: this model has 1 {name}, numbered 0 to 0.":
            "{name} {value!r} 不存在：这个模型只有 1 个{name}，编号为 0。",
        "{name} must be a whole number of at least 1, got {count!r}.":
            "{name} 必须是至少为 1 的整数，现在是 {count!r}。",
        "text": "文本",
        "head (0-{last})": "注意力头 (0-{last})",
        "layer (0-{last})": "层 (0-{last})",
        "causal mask (decoder)": "因果掩码（解码器）",
        "scale by 1/sqrt(head_size)": "乘以 1/sqrt(head_size)",
        "extra scale": "额外缩放",
        "scores multiplied by {factor:.3g} (head_size {head_size}). Row of the last token "
        "{token!r}: largest weight {largest:.2f}, entropy {entropy:.2f} nats (uniform over "
        "{count} tokens: {uniform:.2f}; one-hot: 0).":
            "分数乘以 {factor:.3g}（head_size {head_size}）。最后一个词元 {token!r} 的那一行："
            "最大权重 {largest:.2f}，熵 {entropy:.2f} 奈特（在 {count} 个词元上均匀分布时为 "
            "{uniform:.2f}；独热时为 0）。",
        "layer {layer}, head {head}": "第 {layer} 层，第 {head} 个注意力头",
        "head {head}": "第 {head} 个注意力头",
        "causal": "因果掩码",
        "no mask": "无掩码",
        ", scaled": "，已缩放",
        ", unscaled": "，未缩放",
        "Attention weights ({where}; {mode})": "注意力权重（{where}；{mode}）",
        "attention weight": "注意力权重",
        "largest weight": "最大权重",
        "entropy / ln(T)  (1 = uniform)": "熵 / ln(T)（1 = 均匀）",
        "current scale": "当前缩放",
        "extra scale on the scores (log axis)": "分数上的额外缩放（对数坐标）",
        "value": "数值",
        "Softmax saturation, last token's row": "Softmax 的饱和：最后一个词元的那一行",
    },
}
