"""Tests of the explorer widgets, driven through their controls without a browser."""

import html


def shown_html(explorer) -> str:
    """The HTML the explorer's output shows now, with entities unescaped."""
    return html.unescape("".join(out["data"].get("text/html", "") for out in explorer.output.outputs))


def shown_images(explorer) -> list[str]:
    """The PNG images (base64) the explorer's output shows now."""
    return [out["data"]["image/png"] for out in explorer.output.outputs if "image/png" in out["data"]]
