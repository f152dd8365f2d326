"""Sphinx extension for this book: keep every page's assets local and listed once.

1. **No asset from another site.** Every ``<script src>`` and stylesheet a page links must be
   served by the book itself (ARCHITECTURE.md: a built page makes no request outside its own site).
   An absolute http(s) URL among a page's scripts or stylesheets is reported as a warning, which
   ``make book`` (``--warningiserror``) turns into a failed build. Scripts that only *name* a URL
   in their body (sphinx-thebe's ``THEBE_JS_URL``, used only when thebe is switched on) are fine.

2. **No duplicated inline scripts.** Sphinx 7.4 lists an inline script (``add_js_file(None,
   body=...)``) twice when an extension adds it after the builder has started: once as added,
   once again from the registry under the file name ``''``. sphinx-thebe's inline
   ``const THEBE_JS_URL = ...`` then runs twice and throws "Identifier 'THEBE_JS_URL' has already
   been declared" on every page. This drops the second copy.

3. **Static files that change reach the build.** When no page is out of date, Sphinx 7.4 skips
   writing altogether, static files included: an edited ``widgets-config.js`` or freshly vendored
   JavaScript would silently stay stale in ``_build/html``. A change in any file under
   ``html_static_path`` (name, size or modification time) therefore marks every page as changed,
   so the pages are written again, static files are copied, and the ``?v=`` checksums in the
   pages' script tags follow the new content. Notebooks are not re-executed for this (their
   outputs come from the jupyter-cache).

Loaded through ``sphinx.local_extensions`` in ``_config.yml``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)


def _key(asset):
    attrs = tuple(sorted((k, str(v)) for k, v in asset.attributes.items()))
    return (asset.filename or "", asset.priority, attrs)


def _dedupe(assets) -> None:
    seen = set()
    unique = []
    for asset in assets:
        key = _key(asset)
        if key not in seen:
            seen.add(key)
            unique.append(asset)
    assets[:] = unique  # in place: the builder and the page context share this list


def _is_external(filename) -> bool:
    name = str(filename or "")
    return "://" in name or name.startswith("//")


def check_page_assets(app, pagename, templatename, context, doctree) -> None:
    for key in ("script_files", "css_files"):
        assets = context.get(key)
        if not assets:
            continue
        _dedupe(assets)
        for asset in assets:
            if _is_external(asset.filename):
                logger.warning(
                    "page %s links %s from another site: %s (vendor it under book/_static/)",
                    pagename,
                    "a script" if key == "script_files" else "a stylesheet",
                    asset.filename,
                    type="offline_assets",
                    location=pagename,
                )


def _static_fingerprint(app) -> str:
    digest = hashlib.sha256()
    for entry in app.config.html_static_path:
        root = Path(app.confdir, entry)
        paths = sorted(root.rglob("*")) if root.is_dir() else [root]
        for path in paths:
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path.relative_to(root)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def outdate_on_static_change(app, env, added, changed, removed):
    fingerprint = _static_fingerprint(app)
    previous = getattr(env, "offline_assets_fingerprint", None)
    env.offline_assets_fingerprint = fingerprint
    if previous == fingerprint:
        return []
    # Changed, or never recorded (an environment from before this extension): rewrite every
    # page that is not being read anyway. Sphinx only saves the environment, and with it the
    # new fingerprint, when some page is read again.
    others = sorted(env.found_docs - set(added) - set(changed) - set(removed))
    if others:
        logger.info("[offline_assets] static files changed: every page will be written again")
    return others


def setup(app):
    app.connect("env-get-outdated", outdate_on_static_change)
    # late priority: after myst-nb and sphinx.ext.mathjax have added their per-page scripts
    app.connect("html-page-context", check_page_assets, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
