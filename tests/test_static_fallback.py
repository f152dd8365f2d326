"""The static picture and text line every explorer's output carries next to its widget view.

Where no widget manager runs (GitHub's and nbviewer's previews without widget state, VS Code
without the widget renderer, a printout) a frontend shows the output's next-best MIME type. The
checks: every explorer's bundle holds the widget view, an SVG and a caption line; the SVG is
well-formed, shows the explorer's numbers (compared with PyTorch here, not with the drawing
code), is the same on every run and machine, and stays small; and nbconvert, the renderer of
nbviewer and GitHub, shows the picture exactly when the notebook has no widget state.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from IPython.core.formatters import DisplayFormatter
from nbconvert import HTMLExporter

import widgets
from widgets import overlap, quick_check

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
SVG = "image/svg+xml"
NS = {"svg": "http://www.w3.org/2000/svg"}
# Size bounds, in bytes: the state a notebook shows, and any state the controls reach.
DEFAULT_LIMIT = 10 * 1024
ANY_STATE_LIMIT = 20 * 1024

EXPLORERS = {
    "adjoint": widgets.AdjointExplorer,
    "scatter-add": widgets.ScatterAddPainter,
    "output-size": widgets.OutputSizeCalculator,
    "zero-insertion": widgets.FractionallyStridedView,
    "overlap": widgets.OverlapExplorer,
    "stacked": widgets.StackedLayersExplorer,
    "pixel-shuffle": widgets.PixelShuffleExplorer,
    **{f"quick-check-{q}": (lambda q=q: widgets.QuickCheck(q)) for q in quick_check.QUESTIONS},
}


def t(values):
    return torch.tensor(values, dtype=torch.float64)


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    return root


def all_text(root) -> str:
    """Every text line of the picture joined, with the wrapping undone."""
    return " ".join(" ".join(e.text or "" for e in root.iter("{http://www.w3.org/2000/svg}text")).split())


def grids(root) -> dict:
    """{label: rows of numbers} for every table of numbers in the picture, read off the SVG."""
    found = {}
    for part in root.findall("svg:g", NS):
        numbers = part.find("svg:g[@text-anchor='middle']", NS)
        if numbers is None:
            continue
        label = part.find("svg:text", NS).text
        cells = [(int(e.get("y")), int(e.get("x")), float(e.text)) for e in numbers]
        rows = {}
        for y, x, value in sorted(cells):
            rows.setdefault(y, []).append(value)
        found[label] = list(rows.values())
    return found


def bars(root) -> dict:
    """{label: bar heights} for every bar chart in the picture."""
    found = {}
    for part in root.findall("svg:g", NS):
        paths = part.findall("svg:path[@fill]", NS)
        if part.find("svg:g", NS) is None and paths:
            heights = [int(h) for h in re.findall(r"v-(\d+)", paths[0].get("d"))]
            found[part.find("svg:text", NS).text] = heights
    return found


def grid(root, prefix: str):
    matches = [values for label, values in grids(root).items()
               if re.match(re.escape(prefix) + r"(\W|$)", label)]
    assert len(matches) == 1, f"one grid labelled {prefix!r}, found {list(grids(root))}"
    return np.array(matches[0])


# --- The bundle -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXPLORERS)
def test_bundle_has_widget_view_picture_and_caption(name):
    explorer = EXPLORERS[name]()
    data, _ = explorer._repr_mimebundle_()
    assert data[WIDGET_VIEW]["model_id"] == explorer.model_id
    caption = data["text/plain"].splitlines()[0]
    assert caption.startswith("Interactive explorer: ") and explorer.title in caption
    assert "Run this notebook in JupyterLab, Binder or Colab, or open the book page" in caption
    assert data["text/plain"] == f"{caption}\n{explorer.describe()}"
    root = parse(data[SVG])
    assert root.find("svg:title", NS).text == caption
    words = all_text(root)
    assert f"Interactive explorer: {explorer.title}." in words and "or open the book page" in words


def test_ipython_publishes_all_three():
    """What IPython sends for a cell that ends with an explorer (ipywidgets 8)."""
    explorer = widgets.OverlapExplorer()
    data, _ = DisplayFormatter().format(explorer)
    assert {WIDGET_VIEW, SVG, "text/plain"} <= set(data)
    assert data[SVG] == explorer.static_svg()


@pytest.mark.parametrize("name", EXPLORERS)
def test_picture_is_the_same_every_time_and_has_only_whole_numbers(name):
    first, second = EXPLORERS[name]().static_svg(), EXPLORERS[name]().static_svg()
    assert first == second
    root = parse(first)
    assert all("id" not in element.attrib for element in root.iter())
    for element in root.iter():
        for attribute in ("x", "y", "width", "height", "transform", "d", "viewBox"):
            value = element.get(attribute)
            assert value is None or not re.search(r"\d\.\d", value), (element.tag, attribute, value)


@pytest.mark.parametrize("name", EXPLORERS)
def test_default_picture_is_small(name):
    assert len(EXPLORERS[name]().static_svg().encode()) <= DEFAULT_LIMIT


def reachable(name):
    """Explorers set to every state their picture depends on (stacked: its largest stack)."""
    if name == "scatter-add":
        for setting in widgets.ScatterAddPainter.reachable_states():
            yield widgets.ScatterAddPainter(**setting, painted=[0, 3])
    elif name in ("adjoint", "zero-insertion", "overlap", "pixel-shuffle"):
        cls = EXPLORERS[name]
        for setting in cls.reachable_states():
            yield cls(**setting)
    elif name == "stacked":
        largest = {f"{trait}_{i}": value for i in range(1, 5)
                   for trait, value in (("kernel_size", 6), ("stride", 3))}
        yield widgets.StackedLayersExplorer(layers=4, **largest)
    elif name == "output-size":
        yield widgets.OutputSizeCalculator(input_size=32, kernel_size=7, stride=4, padding=3,
                                           dilation=3, output_padding=3)
    else:
        yield EXPLORERS[name]()


@pytest.mark.parametrize("name", EXPLORERS)
def test_every_reachable_picture_is_bounded(name):
    sizes = [len(e.static_svg().encode()) for e in reachable(name)]
    assert sizes and max(sizes) <= ANY_STATE_LIMIT


# --- The numbers in the picture, against PyTorch ------------------------------------------------


def test_adjoint_picture_shows_y_and_the_matrix():
    root = parse(widgets.AdjointExplorer().static_svg())
    x, w = t([[1, 2], [3, 4]]), t([[1, 0, 1], [0, 1, 0], [1, 0, 1]])
    assert np.array_equal(grid(root, "kernel"), w.numpy())
    assert np.array_equal(grid(root, "input x"), x.numpy())
    assert np.array_equal(grid(root, "output y"), F.conv_transpose2d(x[None, None], w[None, None])[0, 0])
    columns = [F.conv_transpose2d(torch.eye(4, dtype=torch.float64)[i].reshape(1, 1, 2, 2), w[None, None])
               .flatten() for i in range(4)]
    assert np.array_equal(grid(root, "Cᵀ"), torch.stack(columns, dim=1).numpy())


def test_scatter_add_picture_shows_the_finished_painting_and_the_running_sums():
    x, w = t([[1, 2], [3, 4]]), t(np.ones((3, 3)))
    root = parse(widgets.ScatterAddPainter(kernel="ones", stride=2, painted=[3]).static_svg())
    assert np.array_equal(grid(root, "output, all 4 cells painted"),
                          F.conv_transpose2d(x[None, None], w[None, None], stride=2)[0, 0])
    only_last = x * t([[0, 0], [0, 1]])
    assert np.array_equal(grid(root, "running sums"),
                          F.conv_transpose2d(only_last[None, None], w[None, None], stride=2)[0, 0])


def test_zero_insertion_picture_shows_every_stage():
    root = parse(widgets.FractionallyStridedView().static_svg())  # stride 2, 3x3 kernel, padding 0
    x, k = t([[1, 2], [3, 4]]), torch.arange(1, 10, dtype=torch.float64).reshape(3, 3)
    inserted = torch.zeros(3, 3, dtype=torch.float64)
    inserted[::2, ::2] = x
    padded = F.pad(inserted, (2, 2, 2, 2))
    assert np.array_equal(grid(root, "2. zeros inserted"), inserted.numpy())
    assert np.array_equal(grid(root, "3. padded"), padded.numpy())
    assert np.array_equal(grid(root, "flipped kernel"), k.flip(0, 1).numpy())
    output = F.conv_transpose2d(x[None, None], k[None, None], stride=2)[0, 0]
    assert np.array_equal(grid(root, "4. stride-1 convolution"), output.numpy())
    assert np.array_equal(output, F.conv2d(padded[None, None], k.flip(0, 1)[None, None])[0, 0])


def test_overlap_picture_shows_the_counts_and_crops_large_grids():
    root = parse(widgets.OverlapExplorer().static_svg())  # K=3, S=2 on a 4x4 input
    counts = F.conv_transpose2d(torch.ones(1, 1, 4, 4), torch.ones(1, 1, 3, 3), stride=2)[0, 0]
    assert np.array_equal(grid(root, "overlap counts"), counts.numpy())
    assert "uneven interior" in all_text(root)

    big = parse(widgets.OverlapExplorer(kernel_size=7, stride=4, dilation=3).static_svg())
    n = overlap.input_size_for(7, 4, 3)
    counts = F.conv_transpose2d(torch.ones(1, 1, n, n), torch.ones(1, 1, 7, 7), stride=4, dilation=3)[0, 0]
    size = counts.shape[-1]
    (label,) = [label for label in grids(big) if label.startswith("overlap counts")]
    assert f"of {size}x{size})" in label
    shown = grid(big, "overlap counts")
    assert np.array_equal(shown, counts[: shown.shape[0], : shown.shape[1]].numpy())


def test_stacked_picture_draws_each_profile_to_scale():
    root = parse(widgets.StackedLayersExplorer().static_svg())  # three layers of K=3, S=2
    signal, profiles = torch.ones(1, 1, 8), []
    for _ in range(3):
        signal = F.conv_transpose1d(signal, torch.ones(1, 1, 3), stride=2)
        profiles.append(signal.flatten().numpy())
    drawn = list(bars(root).values())
    assert len(drawn) == 3
    for heights, profile in zip(drawn, profiles):
        heights = np.array(heights)
        assert len(heights) == len(profile)
        # Proportional, up to the rounding to whole pixels.
        assert np.all(np.abs(heights / heights.max() - profile / profile.max()) <= 0.5 / heights.max())


def test_pixel_shuffle_picture_shows_inputs_and_outputs():
    for r, c in ((2, 1), (3, 2)):
        root = parse(widgets.PixelShuffleExplorer(r=r, channels=c).static_svg())
        x = torch.arange(1, c * r * r * 4 + 1, dtype=torch.float64).reshape(1, c * r * r, 2, 2)
        out = F.pixel_shuffle(x, r)[0]
        for k in range(c * r * r):
            assert np.array_equal(grid(root, f"input channel {k}"), x[0, k].numpy())
        for k in range(c):
            assert np.array_equal(grid(root, f"output channel {k}"), out[k].numpy())


def test_output_size_picture_states_the_size():
    root = parse(widgets.OutputSizeCalculator().static_svg())  # 4x4 input, K=3, S=2, P=1
    size = torch.nn.ConvTranspose2d(1, 1, 3, stride=2, padding=1)(torch.zeros(1, 1, 4, 4)).shape[-1]
    assert f"output {size}x{size}" in all_text(root)


@pytest.mark.parametrize("question", quick_check.QUESTIONS)
def test_quick_check_picture_lists_the_question_and_every_option(question):
    check = widgets.QuickCheck(question)
    words = all_text(parse(check.static_svg()))
    assert " ".join(check.data["prompt"].split()) in words
    for letter, option in zip("ABCD", check.data["options"]):
        assert f"{letter}. {' '.join(option['text'].split())}" in words
    assert "Right." not in words  # the picture shows the question, not the answer


def test_output_size_question_offers_pytorchs_answer():
    size = torch.nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1)(torch.zeros(1, 1, 14, 14)).shape[-1]
    assert f"{size}×{size}" in all_text(parse(widgets.QuickCheck("output-size").static_svg()))


# --- What nbviewer and GitHub (nbconvert) show --------------------------------------------------


def notebook_showing(explorer, *, with_state: bool):
    data, metadata = explorer._repr_mimebundle_()
    cell = nbformat.v4.new_code_cell("explorer", execution_count=1, outputs=[
        nbformat.v4.new_output("execute_result", data=data, metadata=metadata, execution_count=1)])
    nb = nbformat.v4.new_notebook(cells=[cell])
    if with_state:
        state = {explorer.model_id: {"model_name": "AnyModel", "model_module": "anywidget",
                                     "model_module_version": "*", "state": {}}}
        nb.metadata["widgets"] = {WIDGET_STATE: {"version_major": 2, "version_minor": 0, "state": state}}
    return nb


@pytest.mark.parametrize("sanitize", [False, True], ids=["plain", "sanitized"])
def test_nbconvert_shows_the_picture_only_without_widget_state(sanitize):
    explorer = widgets.ScatterAddPainter()
    picture = base64.b64encode(explorer.static_svg().encode()).decode()
    exporter = HTMLExporter(sanitize_html=sanitize)
    without, _ = exporter.from_notebook_node(notebook_showing(explorer, with_state=False))
    assert f"data:image/svg+xml;base64,{picture}" in without
    assert f'type="{WIDGET_VIEW}"' not in without
    with_state, _ = exporter.from_notebook_node(notebook_showing(explorer, with_state=True))
    assert f'type="{WIDGET_VIEW}"' in with_state and explorer.model_id in with_state
    assert picture not in with_state


def test_wrong_part_is_refused():
    from widgets import static_figure

    with pytest.raises(ValueError, match="parts must be Grid, Bars or Text"):
        static_figure.render_svg("t", ["caption"], [[1, 2]])
    with pytest.raises(ValueError, match="values must hold at most"):
        static_figure.render_svg("t", ["caption"], [static_figure.Bars("b", [1] * 1000)])

