"""Interactive explorers for the notebooks, hand-written. Each is an ipywidgets box built on
`widgets.base.Explorer`: controls on top, one output below, and messages shown inside it."""
