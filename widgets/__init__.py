"""Interactive explorers and NumPy reference operators for the transposed-convolution chapter.

`widgets.ops` holds the mathematics (one source of truth); each explorer
precomputes what it shows with it and draws it in JavaScript.
"""

from . import ops
from .adjoint import AdjointExplorer
from .output_size import OutputSizeCalculator
from .overlap import OverlapExplorer
from .pixel_shuffle import PixelShuffleExplorer
from .quick_check import QuickCheck
from .scatter_add import ScatterAddPainter
from .stacked import StackedLayersExplorer
from .zero_insertion import FractionallyStridedView

__all__ = ["ops", "AdjointExplorer", "OutputSizeCalculator", "ScatterAddPainter", "FractionallyStridedView", "PixelShuffleExplorer", "OverlapExplorer", "StackedLayersExplorer", "QuickCheck"]
