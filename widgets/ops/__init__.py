"""NumPy reference operators with PyTorch's semantics, one module per job.

Every piece of mathematics in the chapter comes from here: the notebooks call these functions and
the explorers receive their results. Each function mirrors its ``torch.nn.functional`` namesake
(same argument order, same accepted arguments, same output shape, same numbers) and is checked
against PyTorch in ``tests/test_ops.py``.

Conventions, as in PyTorch:

* arrays are ``(N, C, H, W)``; an unbatched ``(C, H, W)`` input gives an unbatched result;
* "convolution" means cross-correlation (the kernel is not flipped);
* ``stride``, ``padding``, ``output_padding`` and ``dilation`` are an int or a pair ``(h, w)``;
* float32 in gives float32 out, float64 gives float64, integer inputs are computed in float64 and
  mixed inputs follow ``np.result_type``.

Bad arguments raise ``ValueError`` naming the parameter and the rule it broke, for exactly the
argument combinations PyTorch 2.13 rejects, with these deliberate differences (each pinned by a
test): mixed and integer dtypes are computed instead of refused; the rules also hold on an empty
batch, where PyTorch skips some of them; a bool is refused anywhere in a pair, where PyTorch's
parser only looks at the first entry; a zero-size output is refused in float32 too, where one
PyTorch code path lets it through; zero input channels give the bias, not an empty tensor; and
string padding (``"same"``, ``"valid"``) is not supported.

The modules: ``checks`` (argument rules), ``sizes`` (output and input sizes), ``reference``
(``conv2d``, the scatter-add transposed convolution, ``conv_matrix``), ``zero_insertion``,
``geometry`` (overlap counts, the interior, the uniformity rule, phase sums), ``shuffle``,
``measures`` (``checkerboard_energy`` and its border-cropped mean) and ``fast`` (the fast path, its thread setting
``fast.threads`` and the dispatching ``conv_transpose2d``). The names below are the public API;
import them from ``widgets.ops``. This package needs nothing but NumPy.
"""

from . import fast, geometry
from .fast import FAST_PATH_MIN_MULTIPLY_ADDS, conv_transpose2d, conv_transpose2d_fast
from .geometry import (input_size_for, interior, overlap_counts, overlap_is_uniform,
                       overlap_profile, phase_sums)
from .measures import checkerboard_energy, cropped_checkerboard_energy
from .reference import conv2d, conv_matrix, conv_transpose2d_reference
from .shuffle import pixel_shuffle, pixel_unshuffle
from .sizes import (conv_input_sizes, conv_output_size, conv_transpose_output_size,
                    max_output_padding, output_padding_for)
from .zero_insertion import (conv_transpose2d_via_zero_insertion, fractional_padding,
                             zero_insert, zero_insert_and_pad, zero_insertion_macs)

__all__ = [
    "conv2d",
    "conv_transpose2d",
    "conv_matrix",
    "conv_output_size",
    "conv_transpose_output_size",
    "overlap_profile",
    "overlap_counts",
    "zero_insert",
    "fractional_padding",
    "zero_insert_and_pad",
    "conv_transpose2d_via_zero_insertion",
    "zero_insertion_macs",
    "max_output_padding",
    "conv_input_sizes",
    "output_padding_for",
    "pixel_shuffle",
    "pixel_unshuffle",
    "checkerboard_energy",
    "overlap_is_uniform",
    "conv_transpose2d_reference",
    "conv_transpose2d_fast",
    "FAST_PATH_MIN_MULTIPLY_ADDS",
    # the overlap geometry's formulas, one home each
    "interior",
    "input_size_for",
    "phase_sums",
    # the measure with the border ramp cropped away, one home for every section that uses it
    "cropped_checkerboard_energy",
]
