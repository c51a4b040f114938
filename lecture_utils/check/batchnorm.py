"""Checks for notebook 05 (initialisation and BatchNorm) exercises."""

__all__: list[str] = []
