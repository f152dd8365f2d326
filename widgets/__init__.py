"""Interactive explorers and NumPy reference operators for the transposed-convolution chapter.

`widgets.ops` holds the mathematics (one source of truth); each explorer
precomputes what it shows with it and draws it in JavaScript.

The explorers are imported on first use (`from widgets import OverlapExplorer`), so that
`import widgets.ops` needs nothing but NumPy: no anywidget, ipywidgets or traitlets.
"""

import importlib

from . import ops

# Explorer class -> the module that defines it.
_EXPLORERS = {
    "AdjointExplorer": "adjoint",
    "OutputSizeCalculator": "output_size",
    "ScatterAddPainter": "scatter_add",
    "FractionallyStridedView": "zero_insertion",
    "PixelShuffleExplorer": "pixel_shuffle",
    "OverlapExplorer": "overlap",
    "StackedLayersExplorer": "stacked",
    "QuickCheck": "quick_check",
}

__all__ = ["ops", *_EXPLORERS]


def __getattr__(name):
    if name not in _EXPLORERS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    explorer = getattr(importlib.import_module(f".{_EXPLORERS[name]}", __name__), name)
    globals()[name] = explorer  # later lookups skip this function
    return explorer


def __dir__():
    return sorted(set(globals()) | set(__all__))
