"""Small display helpers shared by the notebooks.

Defined for section 1 (the families table) and used by every section that
shows a table computed by code.
"""

from __future__ import annotations

from IPython.display import Markdown


def markdown_table(headers, rows) -> Markdown:
    """A Markdown table from a header list and rows of values.

    Rendered as a real table in JupyterLab, Colab and the book; its plain-text
    fallback is the Markdown source, which reads fine too.
    """
    lines = ["| " + " | ".join(str(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return _PlainMarkdown("\n".join(lines))


class _PlainMarkdown(Markdown):
    # IPython's default text/plain is "<IPython.core.display.Markdown object>";
    # show the table source instead, for text-only frontends.
    def __repr__(self) -> str:
        return self.data
