"""Checks for notebook 06 (WaveNet) exercises."""

__all__: list[str] = []
