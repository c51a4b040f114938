# A course of two toy notebooks, for the catalog's and the command line's tests.
TOY_COURSE = """
[notebooks.01_toy]
title = "a toy"

[notebooks.01_toy.quick]
steps = 5

[notebooks.01_toy.solutions_quick]
steps = 3

[notebooks.01_toy.metrics.loss]
reference = "0.2"
quick = [0.1, 0.3]
full = [0.009, 0.011]

[notebooks.02_other]
title = "another toy"

[notebooks.02_other.metrics.count]
reference = "41"
range = [41, 41]
"""
