"""A small SVG picture of an explorer, for frontends where no widget manager runs.

GitHub's and nbviewer's previews (nbconvert without widget state), VS Code without the widget
renderer and printouts show an output's next-best MIME type when they cannot draw the widget
view. Each explorer puts this picture there, as ``image/svg+xml``: nbconvert embeds it as an
``<img>``, the way it embeds PNG figures, so HTML sanitisers leave it alone, and JupyterLab and
the book still rank the widget view first.

A picture is a caption and a list of parts, laid out left to right and wrapped:

- `Grid`: a labelled table of numbers (a 2-D list); cells are shaded by magnitude.
- `Bars`: a labelled bar chart of a 1-D list of non-negative numbers.
- `Text`: lines of text, wrapped, on a row of their own.

The output must be the same on every machine (the notebooks store it and nbval compares it
exactly): every coordinate is an integer, numbers print as in `describe()`, and nothing random
or time-dependent (no ids) goes in.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from xml.sax.saxutils import escape

FONT_SIZE = 12
CHAR_WIDTH = 7.5          # an upper bound for a 12 px monospace character
LINE_HEIGHT = 16
WRAP = 92                 # characters per line of text
MAX_WIDTH = 720           # parts wrap to a new row beyond this width
MARGIN = 12
GAP = 24                  # between parts on a row, and between rows
CELL_HEIGHT = 20
MAX_ROWS, MAX_COLS = 16, 12  # a larger grid is drawn as its top-left corner
BAR_WIDTH = 8
BAR_HEIGHT = 60
MAX_BARS = MAX_WIDTH // BAR_WIDTH
# Fills for cells by magnitude: zero, then four steps up to the grid's largest value.
SHADES = ("#ffffff", "#e8f0fb", "#c9dcf5", "#a4c4ee", "#7eabe6")
INK = "#1f2328"
GRID_LINES = "#8c959f"


@dataclass(frozen=True)
class Grid:
    label: str
    values: list


@dataclass(frozen=True)
class Bars:
    label: str
    values: list


@dataclass(frozen=True)
class Text:
    lines: tuple


def format_number(value) -> str:
    """An integer as itself, anything else with two decimals (as `describe()` prints them)."""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.2f}"


def wrap(lines) -> list[str]:
    """Every line wrapped at WRAP characters, continuation lines indented by two spaces."""
    out = []
    for line in lines:
        out += textwrap.wrap(line, WRAP, subsequent_indent="  ") or [""]
    return out


def _text_width(text: str) -> int:
    return math.ceil(len(text) * CHAR_WIDTH)


def _text(x: int, y: int, content: str, **attributes) -> str:
    extra = "".join(f' {name.replace("_", "-")}="{value}"' for name, value in attributes.items())
    return f'<text x="{x}" y="{y}"{extra}>{escape(content)}</text>'


def _shade(value, largest) -> str:
    if largest == 0 or value == 0:
        return SHADES[0]
    return SHADES[max(1, round(4 * abs(value) / largest))]


class _Drawn:
    """A part turned into SVG elements relative to its own top-left corner, with its size."""

    def __init__(self, elements: list[str], width: int, height: int, own_row: bool = False):
        self.elements, self.width, self.height, self.own_row = elements, width, height, own_row


def _draw_grid(part: Grid) -> _Drawn:
    rows, cols = len(part.values), max((len(row) for row in part.values), default=0)
    label = part.label
    if rows > MAX_ROWS or cols > MAX_COLS:  # keeps the picture small: the top-left corner
        label += f" (top-left {min(rows, MAX_ROWS)}x{min(cols, MAX_COLS)} of {rows}x{cols})"
    values = [row[:MAX_COLS] for row in part.values[:MAX_ROWS]]
    cells = [[format_number(v) for v in row] for row in values]
    cell_width = max(22, _text_width(max((c for row in cells for c in row), key=len, default="")) + 10)
    largest = max((abs(float(v)) for row in values for v in row), default=0)
    top = LINE_HEIGHT + 4
    shading = {shade: [] for shade in SHADES[1:]}  # one path per shade: the cells filled with it
    numbers = []
    for r, row in enumerate(cells):
        for c, cell in enumerate(row):
            x, y = c * cell_width, top + r * CELL_HEIGHT
            fill = _shade(float(values[r][c]), largest)
            if fill != SHADES[0]:  # the background is already white
                shading[fill].append(f"M{x} {y}h{cell_width}v{CELL_HEIGHT}h-{cell_width}z")
            numbers.append(_text(x + cell_width // 2, y + 14, cell))
    width, height = len(values[0]) * cell_width if values else 0, len(values) * CELL_HEIGHT
    lines = [f"M0 {top + r * CELL_HEIGHT}h{width}" for r in range(len(values) + 1)]
    lines += [f"M{c * cell_width} {top}v{height}" for c in range(width // cell_width + 1)]
    elements = [_text(0, FONT_SIZE, label)]
    elements += [f'<path d="{"".join(d)}" fill="{fill}"/>' for fill, d in shading.items() if d]
    elements += [f'<path d="{"".join(lines)}" stroke="{GRID_LINES}" fill="none"/>',
                 f'<g text-anchor="middle">{"".join(numbers)}</g>']
    return _Drawn(elements, max(width, _text_width(label)), top + height)


def _draw_bars(part: Bars) -> _Drawn:
    if len(part.values) > MAX_BARS:
        raise ValueError(f"values must hold at most {MAX_BARS} bars, got {len(part.values)}")
    largest = max(part.values, default=0)
    top = LINE_HEIGHT + 4
    bottom = top + BAR_HEIGHT
    # One path for all the bars: up from the baseline, across, and back down.
    bars = "".join(f"M{i * BAR_WIDTH} {bottom}v-{height}h{BAR_WIDTH - 2}v{height}z"
                   for i, height in enumerate(round(BAR_HEIGHT * v / largest) if largest else 0
                                              for v in part.values))
    width = len(part.values) * BAR_WIDTH
    elements = [_text(0, FONT_SIZE, part.label), f'<path d="{bars}" fill="{SHADES[4]}"/>',
                f'<path d="M0 {bottom}h{width}" stroke="{GRID_LINES}"/>']
    return _Drawn(elements, max(width, _text_width(part.label)), top + BAR_HEIGHT)


def _draw_text(part: Text) -> _Drawn:
    lines = wrap(part.lines)
    elements = [_text(0, FONT_SIZE + i * LINE_HEIGHT, line) for i, line in enumerate(lines)]
    width = max((_text_width(line) for line in lines), default=0)
    return _Drawn(elements, width, len(lines) * LINE_HEIGHT, own_row=True)


_DRAW = {Grid: _draw_grid, Bars: _draw_bars, Text: _draw_text}


def _layout(drawn: list[_Drawn], top: int) -> tuple[list[str], int, int]:
    """Place the parts in rows (a Text part takes a row of its own): elements, width, bottom."""
    elements, x, y, row_height, width = [], 0, top, 0, 0
    for part in drawn:
        if x and (part.own_row or x + part.width > MAX_WIDTH):
            x, y, row_height = 0, y + row_height + GAP, 0
        elements.append(f'<g transform="translate({MARGIN + x},{y})">{"".join(part.elements)}</g>')
        width = max(width, x + part.width)
        row_height = max(row_height, part.height)
        x = MAX_WIDTH if part.own_row else x + part.width + GAP
    return elements, width, y + row_height


def render_svg(title: str, caption: list[str], parts: list) -> str:
    """The picture as one SVG document: the caption on top (its first sentence in bold), then the
    parts. `title` becomes the SVG's <title> (read out by screen readers)."""
    for part in parts:
        if type(part) not in _DRAW:
            raise ValueError(f"parts must be Grid, Bars or Text, got {type(part).__name__}")
    lines = [(line, i == 0) for i, sentence in enumerate(caption) for line in wrap([sentence])]
    head = [_text(MARGIN, MARGIN + FONT_SIZE + i * LINE_HEIGHT, line,
                  **({"font_weight": "bold"} if bold else {}))
            for i, (line, bold) in enumerate(lines)]
    top = MARGIN + len(lines) * LINE_HEIGHT + GAP // 2
    body, body_width, bottom = _layout([_DRAW[type(p)](p) for p in parts], top)
    width = MARGIN * 2 + max(body_width, max(_text_width(line) for line, _ in lines))
    height = bottom + MARGIN
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="{FONT_SIZE}" '
            f'fill="{INK}"><title>{escape(title)}</title>'
            f'<rect width="{width}" height="{height}" fill="#ffffff"/>'
            + "".join(head) + "".join(body) + "</svg>")
