"""Drawing a micrograd expression graph with Graphviz: one box per value (label, data and
grad) and one small circle per operation. By default the inputs are at the top and the result
at the bottom: micrograd's expressions are much deeper than they are wide, so drawn left to
right (the lecture's way) they come out several thousand points wide, and a notebook shrinks
them until the text cannot be read. Drawn top to bottom, they keep to a readable width.
Hand-written for the package, not saved from a notebook: notebook 01 imports `draw_dot`
to show the expressions it builds.

The `graphviz` Python package only writes the DOT description; turning it into a picture
needs Graphviz's `dot` program. Without it, a drawing still displays in a notebook: it
shows how to install Graphviz and the DOT text instead of raising an error.
"""

from __future__ import annotations

import shutil

import graphviz

INSTALL_HINT = (
    "Graphviz's `dot` program is not installed, so the graph cannot be drawn. Install it "
    "with `apt-get install graphviz` (Debian/Ubuntu, Colab), `brew install graphviz` "
    "(macOS) or `conda install graphviz`, then restart the kernel. Its DOT description "
    "follows."
)


def dot_available() -> bool:
    """Whether Graphviz's `dot` program is on the PATH."""
    return shutil.which("dot") is not None


class GraphDrawing(graphviz.Digraph):
    """A Digraph that displays as SVG when `dot` is installed and as a message otherwise."""

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        if dot_available():
            try:
                return super()._repr_mimebundle_(include, exclude, **kwargs)
            except graphviz.ExecutableNotFound:
                pass  # `dot` is on the PATH but could not be run: fall back to the text
        return {"text/plain": f"{INSTALL_HINT}\n\n{self.source}"}


def _escape(text: str) -> str:
    """Escape the characters that structure a Graphviz record label."""
    for char in "\\{}|<>":
        text = text.replace(char, "\\" + char)
    return text


def _walk(root):
    """Every node reachable from `root` and every (input, output) edge, in a fixed order."""
    nodes, edges, seen = [], [], set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        nodes.append(node)
        for child in node._prev:
            edges.append((child, node))
        stack.extend(reversed(node._prev))  # the first input is visited, and drawn, first
    return nodes, edges


def draw_dot(root, rankdir: str = "TB") -> GraphDrawing:
    """The computation graph that produced `root` (any object with data, grad, _prev, _op
    and label, like micrograd's Value), inputs at the top ("TB", top to bottom) or on the
    left ("LR", left to right, as in the lecture). Display it in a notebook, or call
    `.pipe(format="svg")` / `.render(...)` for a file (those need `dot`)."""
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' (left to right) or 'TB' (top to bottom), got {rankdir!r}")
    nodes, edges = _walk(root)
    names = {id(node): f"v{i}" for i, node in enumerate(nodes)}  # stable names, not id()s
    # Tighter spacing than Graphviz's defaults (0.5 and 0.25 inches) keeps tall graphs short.
    drawing = GraphDrawing(format="svg", graph_attr={"rankdir": rankdir, "ranksep": "0.3",
                                                     "nodesep": "0.2"})
    for node in nodes:
        name = names[id(node)]
        label = _escape(node.label) or " "
        drawing.node(name, label=f"{{ {label} | data {node.data:.4f} | grad {node.grad:.4f} }}",
                     shape="record")
        if node._op:
            drawing.node(name + "_op", label=_escape(node._op))
            drawing.edge(name + "_op", name)
    for child, parent in edges:
        drawing.edge(names[id(child)], names[id(parent)] + "_op")
    return drawing
