"""The from-scratch layers of notebooks 05 and 06, with the torch.nn calling conventions:
Linear and Tanh (05); BatchNorm1d for 2-D and 3-D input, Embedding, FlattenConsecutive and
Sequential (06). Tests compare each with torch.nn on the same weights.

The definitions below are saved from the notebooks (`python -m lecture_utils sync`); edit
them there, not here.
"""

import torch
