"""Checks for notebook 02 and 03 (makemore part 1: bigrams and trigrams, counts and neural) exercises."""

__all__: list[str] = []
