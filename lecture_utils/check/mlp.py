"""Checks for notebook 04 (the MLP language model) exercises."""

__all__: list[str] = []
