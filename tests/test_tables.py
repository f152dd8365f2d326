"""widgets.tables: the Markdown tables the notebooks show."""

from widgets.tables import markdown_table


def test_markdown_table_has_a_header_a_rule_and_one_line_per_row():
    table = markdown_table(["K", "S", "uniform"], [(4, 2, True), (3, 2, False)])
    assert table.data.splitlines() == [
        "| K | S | uniform |",
        "|---|---|---|",
        "| 4 | 2 | True |",
        "| 3 | 2 | False |",
    ]


def test_text_only_frontends_see_the_markdown_source():
    table = markdown_table(["a"], [[1]])
    assert repr(table) == table.data
    assert table._repr_markdown_() == table.data
