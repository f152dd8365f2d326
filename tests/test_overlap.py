"""Python-side checks of OverlapExplorer: every one of its 84 states against PyTorch.

The explorer's counts are `ops.overlap_profile` (sent) and its outer product (drawn by the JS);
here both are compared with a transposed convolution of ones in PyTorch, and the verdict (the rule
of section 6) with the interior of the profile itself.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import widgets
from widgets import ops
from widgets.overlap import (CONTROLS, OverlapExplorer, input_size_for, interior, overlap_state,
                             verdict)

SETTINGS = [tuple(s.values()) for s in OverlapExplorer.reachable_states()]


def test_every_state_is_reachable_and_sent():
    explorer = widgets.OverlapExplorer()
    assert len(SETTINGS) == 7 * 4 * 3 == len(explorer.states)
    assert explorer.limits == {k: list(v) for k, v in CONTROLS.items()}


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: "K%d-S%d-D%d" % s)
def test_state_matches_pytorch(setting):
    k, s, d = setting
    state = overlap_state(k, s, d)
    n = state["input_size"]
    ones = torch.ones(1, 1, n, n, dtype=torch.float64)
    expected = F.conv_transpose2d(ones, torch.ones(1, 1, k, k, dtype=torch.float64),
                                  stride=s, dilation=d)[0, 0].numpy()
    assert np.array_equal(np.array(state["counts"]), expected)
    profile = np.array(state["profile"])
    assert np.array_equal(np.outer(profile, profile), expected)  # what the JS draws


def test_sent_states_equal_overlap_state():
    explorer = widgets.OverlapExplorer()
    for k, s, d in SETTINGS:
        sent = explorer.states[f"{k}|{s}|{d}"]
        state = overlap_state(k, s, d)
        assert sent == {"n": state["input_size"], "profile": state["profile"],
                        "uniform": state["uniform"], "reason": state["reason"]}


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: "K%d-S%d-D%d" % s)
def test_interior_and_verdict(setting):
    """The interior has >= 2S cells and exactly the positions every tap reaches; the verdict
    equals 'the interior profile takes one value', which equals the rule S | K and gcd(D, S) = 1."""
    k, s, d = setting
    n = input_size_for(k, s, d)
    first, last = interior(n, k, s, d)
    assert last - first + 1 >= 2 * s
    # Position p is reachable by tap t iff p - t*D lies in the span 0 .. (I-1)S of window starts.
    reached_by_all = [p for p in range(len(ops.overlap_profile(n, k, s, dilation=d)))
                      if all(0 <= p - t * d <= (n - 1) * s for t in range(k))]
    assert reached_by_all == list(range(first, last + 1))
    inner = ops.overlap_profile(n, k, s, dilation=d)[first:last + 1]
    flat = len(set(inner.tolist())) == 1
    # The same interior on a much longer input: the pattern is periodic, not an edge effect.
    longer = ops.overlap_profile(n + 3 * s, k, s, dilation=d)[first:last + 1]
    assert np.array_equal(inner, longer)
    rule = k % s == 0 and math.gcd(d, s) == 1
    assert flat == rule == verdict(k, s, d)["uniform"]


def test_issue_cases():
    assert not verdict(3, 2, 1)["uniform"]
    assert set(np.unique(overlap_state(3, 2, 1)["counts"])) == {1, 2, 4}
    assert verdict(4, 2, 1)["uniform"]
    state = overlap_state(4, 2, 1)
    first, last = state["interior"]
    assert set(np.array(state["counts"])[first:last + 1, first:last + 1].ravel()) == {4}
    assert not verdict(3, 2, 2)["uniform"] and "gcd(D=2, S=2) = 2" in verdict(3, 2, 2)["reason"]
    assert "does not divide" in verdict(3, 2, 1)["reason"]


@pytest.mark.parametrize("trait, value", [("kernel_size", 0), ("kernel_size", 8), ("stride", 5),
                                          ("dilation", 0), ("stride", 2.0), ("dilation", True)])
def test_bad_control_values_are_refused(trait, value):
    explorer = widgets.OverlapExplorer()
    with pytest.raises(ValueError, match=trait):
        setattr(explorer, trait, value)


def test_describe_follows_the_controls():
    explorer = widgets.OverlapExplorer(kernel_size=4, stride=2)
    text = repr(explorer)
    assert "K=4, S=2, D=1" in text and "uniform interior" in text
    explorer.dilation = 2
    assert "uneven interior" in repr(explorer) and "gcd(D=2, S=2)" in repr(explorer)
