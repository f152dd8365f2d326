"""The explorer base class shared by every interactive figure of the chapter.

Each explorer is an anywidget whose interaction runs in JavaScript (so it works
in the static book, where no kernel exists). Python computes every number the
explorer shows with `widgets.ops` and hands it over, precomputed for every state
the controls can reach, through synced traitlets.
"""

from __future__ import annotations

import pathlib

import anywidget
import numpy as np
import traitlets

_JS_DIR = pathlib.Path(__file__).parent / "js"


def _read_asset(name: str) -> str:
    return (_JS_DIR / name).read_text(encoding="utf-8")


class BoundedInt(traitlets.Int):
    """An integer control value in [low, high]; bad values raise ValueError naming the control."""

    def __init__(self, default: int, low: int, high: int, **kwargs):
        self.low, self.high = low, high
        super().__init__(default, **kwargs)

    def validate(self, obj, value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{self.name} must be an integer, got {value!r}")
        if not self.low <= value <= self.high:
            raise ValueError(f"{self.name} must be between {self.low} and {self.high}, got {value}")
        return value


class Choice(traitlets.Unicode):
    """A value from a fixed list; anything else raises ValueError naming the choices."""

    def __init__(self, default: str, choices, **kwargs):
        self.choices = tuple(choices)
        super().__init__(default, **kwargs)

    def validate(self, obj, value):
        if value not in self.choices:
            raise ValueError(f"{self.name} must be one of {list(self.choices)}, got {value!r}")
        return value


def as_numbers(array) -> list:
    """Nested lists for the browser, with integral values as ints (a compact payload)."""
    array = np.asarray(array)
    if np.all(array == np.round(array)):
        array = array.astype(int)
    return array.tolist()


def key(*parts) -> str:
    """The key of a precomputed state: the control values joined by '|' (as the JS builds it)."""
    return "|".join(str(p) for p in parts)


def format_grid(values, indent: str = "  ") -> str:
    """Right-aligned text rendering of a 2-D grid of numbers."""
    cells = [[_format_number(v) for v in row] for row in values]
    width = max((len(c) for row in cells for c in row), default=1)
    return "\n".join(indent + " ".join(c.rjust(width) for c in row) for row in cells)


def _format_number(value) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.2f}"


class Explorer(anywidget.AnyWidget):
    """Base of every explorer: the DOM contract (ARCHITECTURE.md) lives in js/base.js.

    A subclass names its own script and stylesheet in `_script` and `_style`;
    they are appended to the shared toolkit so every explorer gets the same
    grids, controls, keyboard navigation, status line and colours.
    """

    _script: str = ""
    _style: str = ""

    # The cell most recently hovered or focused in the page:
    # {"grid": name, "row": r, "col": c}, or {} before any.
    hovered = traitlets.Dict().tag(sync=True)
    # {trait: [low, high]} of every BoundedInt control, for the page's sliders.
    limits = traitlets.Dict().tag(sync=True)

    def __init__(self, **kwargs):
        super().__init__(limits=self.control_limits(), **kwargs)

    def __init_subclass__(cls, **kwargs):
        if cls.__dict__.get("_script"):
            cls._esm = _read_asset("base.js") + "\n" + _read_asset(cls._script)
            cls._css = _read_asset("base.css") + "\n" + (_read_asset(cls._style) if cls._style else "")
        super().__init_subclass__(**kwargs)

    @classmethod
    def control_limits(cls) -> dict:
        """{trait: [low, high]} for every BoundedInt control, handed to the JS sliders."""
        return {name: [t.low, t.high] for name, t in cls.class_traits().items() if isinstance(t, BoundedInt)}

    def describe(self) -> str:
        """Plain-text description of the current state (for text-only frontends)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return self.describe()
