"""Helpers shared by the Zero to Hero notebooks.

Each module has one job: `data` fetches the data sets, `metrics` records results inside a
notebook, `course` and `runner` execute the course, and the rest hold what a notebook has
already built (its source of truth stays in that notebook; tests keep the two identical).
"""
