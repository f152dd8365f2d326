"""Sphinx extension for this book: bibliography entries are list items.

docutils writes a run of citations as ``<div role="list">`` holding one
``<div role="doc-biblioentry">`` per entry. ARIA 1.2 deprecates ``doc-biblioentry``, so assistive
technology (and axe-core's ``aria-required-children`` rule) sees a list without items. This
translator gives each entry ``role="listitem"`` and leaves the rest of docutils' markup alone.

pydata-sphinx-theme wraps whatever translator is registered for the builder with its own
mixin, so registering this one here keeps the theme's markup too. Loaded through
``sphinx.local_extensions`` in ``_config.yml``.
"""

from __future__ import annotations

from sphinx.writers.html5 import HTML5Translator

DEPRECATED_ROLE = 'role="doc-biblioentry"'


class CitationListTranslator(HTML5Translator):
    def visit_citation(self, node) -> None:
        super().visit_citation(node)
        # docutils' start tag of the entry is the last thing written
        self.body[-1] = self.body[-1].replace(DEPRECATED_ROLE, 'role="listitem"')


def setup(app):
    app.set_translator("html", CitationListTranslator, override=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
