"""Checks for the exercises at the end of each notebook (hand-written, not generated).

    from lecture_utils import check

    check.derivative(g, (2.0, 3.0, 4.0), dg)     # your derivative against a finite difference
    check.sigmoid(SigmoidValue)                  # your Value operation against torch.autograd

Each check runs the learner's answer (a number, a function, a class or a model) against a
reference (PyTorch, a finite difference, a recomputation) and prints one line: `right: ...`,
or `wrong: ...` with what is wrong and a hint (off by a sign or a factor, which input's
gradient, wrong shape, a loss outside the expected band, NaN, ...). It never prints the
solution. An answer left as the notebook gives it (None, a method that raises
NotImplementedError or does not exist yet) prints `not attempted yet: ...` and raises
nothing, so a notebook with unanswered exercises still runs headlessly.

Every check returns a `Result`, true only when the answer is right, so a solutions notebook
can write `assert check.sigmoid(SigmoidValue)`.

One module per lecture holds its checks (`micrograd` for 01, `bigram` for 02 and 03, `mlp`
for 04, `batchnorm` for 05, `backprop` for 06_backprop_ninja, `wavenet` for 07_wavenet, `gpt`
for 09, `tokenizer` for 10); `_core` what they share. All are used as `check.NAME`.
"""

from lecture_utils.check._core import NOT_ATTEMPTED, RIGHT, WRONG, Result  # noqa: F401
from lecture_utils.check.backprop import *  # noqa: F403
from lecture_utils.check.batchnorm import *  # noqa: F403
from lecture_utils.check.bigram import *  # noqa: F403
from lecture_utils.check.gpt import *  # noqa: F403
from lecture_utils.check.micrograd import *  # noqa: F403
from lecture_utils.check.mlp import *  # noqa: F403
from lecture_utils.check.tokenizer import *  # noqa: F403
from lecture_utils.check.wavenet import *  # noqa: F403
