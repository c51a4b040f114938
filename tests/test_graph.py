"""lecture_utils.graph: drawing a micrograd expression, with and without Graphviz's `dot`."""

import shutil

import graphviz
import pytest

from lecture_utils import graph
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
