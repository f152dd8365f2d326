"""The explorer base class shared by every interactive figure of the chapter.

Each explorer is an anywidget whose interaction runs in JavaScript (so it works
in the static book, where no kernel exists). Python computes every number the
explorer shows with `widgets.ops` and hands it over, precomputed for every state
the controls can reach, through synced traitlets.
"""

from __future__ import annotations

import functools
import itertools
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
    """The key of a precomputed state: the control values joined by '|' (base.js's stateKey)."""
    return "|".join(str(p) for p in parts)


def is_range(spec) -> bool:
    """Whether a control's spec is an inclusive integer range (low, high) rather than choices."""
    return len(spec) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in spec)


def control_values(spec) -> tuple:
    """Every value a control can take: the integers of a range, or the choices."""
    return tuple(range(spec[0], spec[1] + 1)) if is_range(spec) else tuple(spec)


def control_trait(name: str, spec, default) -> traitlets.TraitType:
    """The synced trait of one control: a BoundedInt for a range, a Choice otherwise."""
    trait = BoundedInt(default, *spec) if is_range(spec) else Choice(default, spec)
    return trait.tag(sync=True)


def format_grid(values, indent: str = "  ") -> str:
    """Right-aligned text rendering of a 2-D grid of numbers."""
    cells = [[static_figure.format_number(v) for v in row] for row in values]
    width = max((len(c) for row in cells for c in row), default=1)
    return "\n".join(indent + " ".join(c.rjust(width) for c in row) for row in cells)


@functools.cache
def _states_of(cls) -> dict:
    return {key(*setting.values()): cls.compute(**setting) for setting in cls.reachable_states()}


# Where a reader can use an explorer live; said next to every static picture of one.
RUN_IT_LIVE = "Run this notebook in JupyterLab, Binder or Colab, or open the book page, to use it."
# How every describe() ends: the controls to try where the widget renders.
CONTROLS_HINT = "(Interactive where widgets render"


class Explorer(anywidget.AnyWidget):
    """Base of every explorer: the DOM contract (ARCHITECTURE.md) lives in js/base.js.

    A subclass declares its parameter table once, and the base derives the rest from it:

    - `controls`: {name: (low, high)} for an integer range, {name: (choice, ...)} for a menu,
      in the order that keys a state; `default`: the value each control starts at;
    - `compute(**setting)`: a pure function, everything the page needs for one setting.

    From these come a synced trait per control (bad values raise ValueError naming it), the
    `limits` the page builds its controls from, `reachable_states()`, and `states`, every
    reachable setting's `compute` keyed by `key` (where `precompute` is true: an explorer
    with too many states computes in the page instead, and tests compare it with `compute`).
    A keyword that is no trait of the explorer raises ValueError naming the controls.

    A subclass names its own script and stylesheet in `_script` and `_style`; they are
    appended to the shared toolkit so every explorer gets the same grids, controls, keyboard
    navigation, player, status line and colours.
    """

    _script: str = ""
    _style: str = ""
    # What the explorer shows, for the caption of its static picture ("the ... of ...").
    title: str = ""
    controls: dict = {}
    default: dict = {}
    precompute: bool = True

    # The cell most recently hovered or focused in the page:
    # {"grid": name, "row": r, "col": c}, or {} before any.
    hovered = traitlets.Dict().tag(sync=True)
    # {control: [low, high] or [choice, ...]}, for the page.
    limits = traitlets.Dict().tag(sync=True)
    # The controls' names in the order of `controls`, which orders a state's key. A list, because
    # a dict's order does not survive the notebook file: nbformat writes JSON keys sorted.
    control_order = traitlets.List().tag(sync=True)
    # key(setting) -> compute(**setting) for every reachable setting (where precomputed).
    states = traitlets.Dict().tag(sync=True)

    def __init__(self, **kwargs):
        unknown = [name for name in kwargs if not self.has_trait(name)]
        if unknown:
            raise ValueError(f"unknown control {unknown[0]!r} for {type(self).__name__}; "
                             f"valid: {', '.join(self.controls)}")
        super().__init__(limits={name: list(spec) for name, spec in self.controls.items()},
                         control_order=list(self.controls),
                         states=self.precomputed_states(), **kwargs)

    def __init_subclass__(cls, **kwargs):
        if cls.__dict__.get("_script"):
            cls._esm = _read_asset("base.js") + "\n" + _read_asset(cls._script)
            cls._css = _read_asset("base.css") + "\n" + (_read_asset(cls._style) if cls._style else "")
        if "controls" in cls.__dict__:
            # Runs before traitlets sets the class up, which then finds these traits as declared.
            for name, spec in cls.controls.items():
                if name not in cls.__dict__:
                    trait = control_trait(name, spec, cls.default[name])
                    setattr(cls, name, trait)
                    trait.class_init(cls, name)
        super().__init_subclass__(**kwargs)

    @staticmethod
    def compute(**setting) -> dict:
        """Everything the page shows for one setting of the controls (pure, JSON-ready)."""
        raise NotImplementedError

    @classmethod
    def reachable(cls, setting: dict) -> bool:
        """Whether the controls can show `setting` together (all combinations, unless a rule
        of the explorer says otherwise)."""
        return True

    @classmethod
    def reachable_states(cls):
        """Every setting the controls can reach, as {control: value} in the table's order."""
        values = itertools.product(*(control_values(spec) for spec in cls.controls.values()))
        settings = (dict(zip(cls.controls, v)) for v in values)
        return (setting for setting in settings if cls.reachable(setting))

    @classmethod
    def precomputed_states(cls) -> dict:
        """{key(setting): compute(**setting)} for every reachable setting, or {} where the
        page computes. Built once per class: every explorer of a kind shows the same table."""
        return _states_of(cls) if cls.precompute else {}

    @property
    def setting(self) -> dict:
        """The controls' current values, {control: value}."""
        return {name: getattr(self, name) for name in self.controls}

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
