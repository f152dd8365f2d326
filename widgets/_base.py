"""The explorer base class shared by every interactive figure of the chapter.

Each explorer is an anywidget whose interaction runs in JavaScript (so it works
in the static book, where no kernel exists). Python computes every number the
explorer shows with `widgets.ops` and hands it over, precomputed for every state
the controls can reach, through synced traitlets.
"""

from __future__ import annotations

import pathlib

import anywidget
import ipywidgets
import numpy as np
import traitlets
from IPython.display import display

from . import static_figure

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
    cells = [[static_figure.format_number(v) for v in row] for row in values]
    width = max((len(c) for row in cells for c in row), default=1)
    return "\n".join(indent + " ".join(c.rjust(width) for c in row) for row in cells)


# Where a reader can use an explorer live; said next to every static picture of one.
RUN_IT_LIVE = "Run this notebook in JupyterLab, Binder or Colab, or open the book page, to use it."
# How every describe() ends: the controls to try where the widget renders.
CONTROLS_HINT = "(Interactive where widgets render"


class Explorer(anywidget.AnyWidget):
    """Base of every explorer: the DOM contract (ARCHITECTURE.md) lives in js/base.js.

    A subclass names its own script and stylesheet in `_script` and `_style`;
    they are appended to the shared toolkit so every explorer gets the same
    grids, controls, keyboard navigation, status line and colours.
    """

    _script: str = ""
    _style: str = ""
    # What the explorer shows, for the caption of its static picture ("the ... of ...").
    title: str = ""

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

    def caption(self) -> str:
        """One line: what the explorer is and where to run it live."""
        return f"Interactive explorer: {self.title}. {RUN_IT_LIVE}"

    def __repr__(self) -> str:
        return f"{self.caption()}\n{self.describe()}"

    def static_parts(self) -> list:
        """What the static picture shows (`static_figure` Grid, Bars and Text parts).

        By default the `describe()` text, less its hint on the controls (a picture has none);
        an explorer with grids of numbers draws those instead.
        """
        lines = [line for line in self.describe().splitlines() if not line.startswith(CONTROLS_HINT)]
        return [static_figure.Text(tuple(lines))]

    def static_svg(self) -> str:
        """A small SVG picture of the current state, with the caption on top."""
        caption = [f"Interactive explorer: {self.title}.",
                   f"Below: a static picture of its current state. {RUN_IT_LIVE}"]
        return static_figure.render_svg(self.caption(), caption, self.static_parts())

    def _repr_mimebundle_(self, **kwargs):
        # Next to the widget view (which JupyterLab, Colab and the book rank first), a picture
        # for every frontend that cannot draw it; anywidget's text/plain is repr(self), which
        # starts with the caption.
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        return {**data, "image/svg+xml": self.static_svg()}, metadata

    if hasattr(ipywidgets.Widget, "_ipython_display_"):
        # ipywidgets 7 displays a widget through this hook, which IPython prefers to
        # _repr_mimebundle_; it would send only a shortened repr with the widget view.
        def _ipython_display_(self, **kwargs):
            data, metadata = self._repr_mimebundle_()
            display(data, metadata=metadata, raw=True)
            self._handle_displayed(**kwargs)
