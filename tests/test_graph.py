"""lecture_utils.graph: drawing a micrograd expression, with and without Graphviz's `dot`."""

import re
import shutil

import graphviz
import nbformat
import pytest

from lecture_utils import graph
from lecture_utils.course.paths import NOTEBOOK_DIR
from lecture_utils.graph import draw_dot
from lecture_utils.micrograd import Value


def _small_graph():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b + a
    c.label = "c"
    c.backward()
    return c


def test_drawing_holds_every_node_with_data_and_grad():
    source = draw_dot(_small_graph()).source
    assert "{ a | data 2.0000 | grad -2.0000 }" in source
    assert "{ c | data -4.0000 | grad 1.0000 }" in source
    assert source.count("shape=record") == 4  # a, b, a*b, c
    assert draw_dot(_small_graph()).source == source  # the same text on every call


def test_drawing_without_dot_shows_how_to_install_it(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    bundle = draw_dot(_small_graph())._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    assert "apt-get install graphviz" in bundle["text/plain"]
    assert "brew install graphviz" in bundle["text/plain"]
    assert "digraph" in bundle["text/plain"]


def test_drawing_when_dot_cannot_run(monkeypatch):
    monkeypatch.setattr(graph, "dot_available", lambda: True)

    def broken(*args, **kwargs):
        raise graphviz.ExecutableNotFound(("dot",))

    monkeypatch.setattr(graphviz.Digraph, "_repr_mimebundle_", broken)
    bundle = draw_dot(_small_graph())._repr_mimebundle_()
    assert "conda install graphviz" in bundle["text/plain"]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
def test_drawing_renders_svg_and_png_with_dot():
    drawing = draw_dot(_small_graph())
    assert "<svg" in drawing._repr_mimebundle_()["image/svg+xml"]
    assert drawing.pipe(format="png").startswith(b"\x89PNG")


MAX_WIDTH_PT = 1000  # wider than this, a notebook shrinks the drawing until it is unreadable
SVG_WIDTH = re.compile(r'<svg[^>]*\bwidth="([\d.]+)pt"')


def _neuron_from_exp():
    """Notebook 01's deepest drawing: the neuron with tanh written out with exp."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    n = x1 * w1 + x2 * w2 + Value(6.8813735870195432, label="b")
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    o.backward()
    return o


def test_drawing_is_top_to_bottom_unless_asked_otherwise():
    assert "rankdir=TB" in draw_dot(_small_graph()).source
    assert "rankdir=LR" in draw_dot(_small_graph(), rankdir="LR").source
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(_small_graph(), rankdir="BT")


def test_inputs_are_drawn_in_their_order():
    source = draw_dot(_small_graph()).source
    assert source.index("{ a |") < source.index("{ b |")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot program is not installed")
def test_a_deep_expression_is_drawn_at_a_readable_width():
    svg = draw_dot(_neuron_from_exp()).pipe(format="svg").decode()
    assert float(SVG_WIDTH.search(svg).group(1)) <= MAX_WIDTH_PT
    wide = draw_dot(_neuron_from_exp(), rankdir="LR").pipe(format="svg").decode()
    assert float(SVG_WIDTH.search(wide).group(1)) > MAX_WIDTH_PT  # what the default avoids


def test_the_committed_micrograd_notebook_draws_readable_graphs():
    """Notebook 01's drawings, as committed, are at most MAX_WIDTH_PT wide."""
    nb = nbformat.read(str(NOTEBOOK_DIR / "01_micrograd.ipynb"), as_version=4)
    widths = [float(SVG_WIDTH.search(out.data["image/svg+xml"]).group(1))
              for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
              if "image/svg+xml" in out.get("data", {})]
    assert len(widths) >= 4, "notebook 01 should show its expression graphs as SVG"
    assert max(widths) <= MAX_WIDTH_PT, f"graph widths {widths} pt"
