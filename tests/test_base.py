"""The explorers' shared base (widgets/_base.py): what every explorer derives from its table.

Each explorer declares its controls once (`controls`, `default`) and a pure `compute`; these
tests check, for all eight, what the base builds from them: the bounded traits, the limits the
page receives, `reachable_states()`, the precomputed `states`, and the error for a keyword that
is not a control. The scripts are checked for the shared wiring of js/base.js.
"""

import pathlib
import re

import pytest

import widgets
from widgets._base import control_values, key

EXPLORERS = [widgets.AdjointExplorer, widgets.ScatterAddPainter, widgets.OutputSizeCalculator,
             widgets.FractionallyStridedView, widgets.OverlapExplorer,
             widgets.StackedLayersExplorer, widgets.PixelShuffleExplorer, widgets.QuickCheck]
by_name = pytest.mark.parametrize("cls", EXPLORERS, ids=lambda cls: cls.__name__)


def test_a_misspelt_control_names_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown control 'strid' for OutputSizeCalculator; "
                                         r"valid: input_size, kernel_size, stride, padding, "
                                         r"dilation, output_padding$"):
        widgets.OutputSizeCalculator(strid=3)


@by_name
def test_every_explorer_refuses_a_keyword_that_is_not_a_control(cls):
    misspelt = list(cls.controls)[0][:-1]
    with pytest.raises(ValueError, match=f"unknown control '{misspelt}'.*valid: "
                                         + re.escape(", ".join(cls.controls))):
        cls(**{misspelt: 1})


@by_name
def test_controls_become_bounded_synced_traits(cls):
    explorer = cls()
    assert explorer.limits == {name: list(spec) for name, spec in cls.controls.items()}
    # The key order travels as a list: a stored notebook sorts the keys of the limits dict.
    assert explorer.control_order == list(cls.controls)
    assert explorer.setting == cls.default
    for name, spec in cls.controls.items():
        assert explorer.trait_metadata(name, "sync"), name
        values = control_values(spec)
        outside = values[-1] + 1 if isinstance(values[-1], int) else "no such choice"
        with pytest.raises(ValueError, match=f"^{name} must be"):
            setattr(explorer, name, outside)


@by_name
def test_states_hold_compute_of_every_reachable_setting(cls):
    settings = list(cls.reachable_states())
    assert settings and all(list(s) == list(cls.controls) for s in settings)
    assert len({key(*s.values()) for s in settings}) == len(settings)  # no setting twice
    states = cls().states
    if not cls.precompute:  # the page computes these: tests compare it with `compute`
        assert states == {}
        return
    assert list(states) == [key(*s.values()) for s in settings]
    for setting in settings:
        assert states[key(*setting.values())] == cls.compute(**setting)


def test_reachable_state_counts():
    counts = {cls.__name__: sum(1 for _ in cls.reachable_states()) for cls in EXPLORERS}
    assert counts == {"AdjointExplorer": 3 * 3 * 3 * 2, "ScatterAddPainter": 2 * 3,
                      # output_padding below max(stride, dilation): sum over S, D of max(S, D)
                      "OutputSizeCalculator": 32 * 7 * 4 * sum(max(s, d) for s in range(1, 5)
                                                               for d in range(1, 4)),
                      "FractionallyStridedView": 27, "OverlapExplorer": 7 * 4 * 3,
                      "StackedLayersExplorer": 18 + 18 ** 2 + 18 ** 3 + 18 ** 4,
                      "PixelShuffleExplorer": 4, "QuickCheck": 4}


@by_name
def test_scripts_carry_the_dom_contract_and_the_shared_wiring(cls):
    esm = cls._esm
    for contract in ('"data-explorer"', '"data-grid"', '"data-row"', '"data-col"', '"data-lit"',
                     '"data-role"', '"aria-live"', '"aria-label"', "export default"):
        assert contract in esm, contract
    own = (pathlib.Path(widgets.__file__).parent / "js" / cls._script).read_text(encoding="utf-8")
    assert own.count("wireExplorer(") == 1
    # Keys come from stateKey only, never joined by hand as `${a}|${b}`.
    assert not re.search(r"\}\|\$\{", esm)
