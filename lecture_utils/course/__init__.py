"""The course machinery, hand-written: the course file and its catalog, the runner, the
notebook helpers (data sets, metrics, parameter checks, the Colab setup cell) and `sync`,
which generates the taught modules from the notebooks."""
