"""Argument checks shared by every operator: PyTorch's rules, with messages naming the parameter.

Each check accepts exactly what PyTorch 2.13 accepts (with the deliberate differences listed in
the package docstring) and returns the argument normalised: a pair as a tuple of Python ints, an
array as a NumPy array.
"""

import numbers

import numpy as np


def is_int(value):
    # bool is a subclass of int, but PyTorch rejects stride=True, so we do too.
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def pair(value, name, minimum):
    """Validate an int-or-pair argument and return it as a tuple ``(h, w)`` of Python ints."""
    if is_int(value):
        values = (value, value)
    elif isinstance(value, (tuple, list)) and len(value) in (1, 2) \
            and all(is_int(v) for v in value):
        # PyTorch also accepts a one-element sequence and repeats it for both axes. (It refuses
        # NumPy arrays here, and so do we.)
        values = tuple(value) * (2 // len(value))
    else:
        raise ValueError(f"{name} must be an int or a pair of ints (h, w), got {value!r}")
    values = (int(values[0]), int(values[1]))
    if min(values) < minimum:
        raise ValueError(f"{name} must be >= {minimum} on each axis, got {values}")
    return values


def single(value, name, minimum):
    """Validate a plain int argument (a 1-D quantity) and return it as a Python int."""
    if not is_int(value):
        raise ValueError(f"{name} must be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_output_padding(output_padding, stride, dilation):
    # PyTorch's rule is per axis and has two escape hatches: output_padding only makes sense below
    # the stride (it picks one of the S input sizes a forward conv maps to the same output size),
    # but PyTorch also allows it below the dilation.
    for op, s, d in zip(output_padding, stride, dilation):
        if not (op < s or op < d):
            raise ValueError(
                f"output_padding {output_padding} must be smaller than either "
                f"stride {stride} or dilation {dilation} on each axis")



def check_arrays(input, weight, bias):
    """Shape rules shared by both convolutions; returns 4-D input, weight, bias, unbatched."""
    input, weight = np.asarray(input), np.asarray(weight)
    if input.ndim not in (3, 4):
        raise ValueError(
            f"input must be 3-D (C, H, W) or 4-D (N, C, H, W), got shape {input.shape}")
    if weight.ndim != 4:
        raise ValueError(f"weight must be 4-D, got shape {weight.shape}")
    unbatched = input.ndim == 3
    if unbatched:
        input = input[None]
    # Empty batches and channels are fine (PyTorch returns an empty or zero result); empty images
    # and kernels are not.
    if min(input.shape[2:]) < 1:
        raise ValueError(f"input height and width must be >= 1, got {input.shape[2:]}")
    if min(weight.shape[2:]) < 1:
        raise ValueError(f"kernel height and width (weight.shape[2:]) must be >= 1, "
                         f"got {weight.shape[2:]}")
    if bias is not None:
        bias = np.asarray(bias)
        if bias.ndim != 1:
            raise ValueError(f"bias must be 1-D, got shape {bias.shape}")
    return input, weight, bias, unbatched


def check_bias(bias, c_out):
    if bias is not None and bias.shape[0] != c_out:
        raise ValueError(f"bias must have one entry per output channel ({c_out}), "
                         f"got {bias.shape[0]}")


def check_groups(groups, channels, what):
    """Validate groups; ``what`` names the channel count it must divide, e.g. "input channels"."""
    groups = single(groups, "groups", 1)
    if channels % groups:
        raise ValueError(f"groups={groups} must divide the {what}")
    return groups


def result_dtype(*arrays):
    # Integer (and bool) data is computed in float64, as the chapter's "exact on integers" demos
    # need; float32 stays float32 so that float32 rounding can be shown next to PyTorch's.
    dtype = np.result_type(*[a for a in arrays if a is not None])
    return dtype if np.issubdtype(dtype, np.inexact) else np.dtype(np.float64)

