"""Going deeper on speed (17) run live in JupyterLab: every cell runs, the tables render.

Lab gets a copy of the notebook alone, as Colab or a download would, so the stored benchmark runs
of the repository are not next to it: the notebook must say so instead of failing.
"""

from __future__ import annotations

import re

import pytest
from lab_util import notebook_in_lab

pytestmark = pytest.mark.lab

NOTEBOOK = "chapters/17_deeper_speed.ipynb"


@pytest.fixture(scope="module")
def lab_page(browser):
    with notebook_in_lab(browser, NOTEBOOK, None) as page:
        yield page


def test_every_cell_runs_without_an_error(lab_page):
    page = lab_page
    prompts = page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt")
    texts = [prompts.nth(i).text_content().strip() for i in range(prompts.count())]
    not_run = [(index, text) for index, text in enumerate(texts) if not re.fullmatch(r"\[\d+\]:", text)]
    assert texts and not_run == []
    assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
                        ).count() == 0


def test_tables_render_and_the_missing_results_are_explained(lab_page):
    page = lab_page
    # timing table, tap groups, chunks, live benchmark: rendered Markdown tables, not text
    assert page.locator(".jp-RenderedMarkdown table").count() >= 4
    outputs = page.locator(".jp-OutputArea-output")
    assert outputs.filter(has_text="No stored results here").count() == 1
    assert outputs.filter(has_text="No stored runs to analyse").count() == 1
