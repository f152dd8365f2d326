"""Copy the pinned JavaScript the book serves itself into ``book/_static/vendor/``.

The packages come from ``book/package.json`` / ``book/package-lock.json``
(``npm ci --prefix book`` puts them in ``book/node_modules``).  The built book must
make no request outside its own site, so everything a page loads lives under
``_static/vendor/`` in the HTML output:

=====================  ============================================================
``vendor/require.js``  RequireJS: the AMD loader the widget manager needs
``vendor/html-manager/embed-amd.js``
                       @jupyter-widgets/html-manager: renders the widget state that
                       myst-nb writes into each page (its webpack assets, i.e. the
                       Font Awesome fonts, are copied beside it: the bundle looks
                       for them next to itself)
``vendor/anywidget/index.js``
                       anywidget's front end (an AMD module, loaded by RequireJS
                       under the name ``anywidget``; see ``widgets-config.js``)
``vendor/mathjax/``    MathJax 3 (``tex-mml-chtml.js`` plus the pieces it loads on
                       demand: TeX extensions, CHTML fonts, menu, accessibility)
=====================  ============================================================

Usage: ``python book/vendor_js.py`` (the Makefile's ``js`` target runs it).  It
replaces ``book/_static/vendor/`` wholesale, so it is safe to re-run.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

BOOK = Path(__file__).resolve().parent
NODE_MODULES = BOOK / "node_modules"
VENDOR = BOOK / "_static" / "vendor"

# package name -> version the lockfile must have installed (checked, so that a
# stale node_modules cannot slip an unexpected version into the book)
EXPECTED = {
    "requirejs": "2.3.8",
    "@jupyter-widgets/html-manager": "1.0.15",
    "anywidget": "0.11.0",
    "mathjax": "3.2.2",
}

# Parts of MathJax's es5/ folder that tex-mml-chtml.js may request at run time.
# The other combined components (tex-svg.js, mml-svg.js, ...) and the SVG output
# are never loaded by the book, so they are left out (about 10 MB).
MATHJAX_KEEP = [
    "tex-mml-chtml.js",
    "input/tex/extensions",  # \require and autoloaded TeX packages
    "input/mml/extensions",  # mml3 extension (menu option)
    "input/mml/entities.js",  # entity definitions loaded on demand
    "output/chtml/fonts/woff-v2",  # the CHTML fonts
    "ui",  # the contextual menu and lazy typesetting
    "a11y",  # accessibility extensions the menu can switch on
    "sre",  # speech rule engine used by the a11y extensions
]


def _installed_version(package: str) -> str:
    meta = NODE_MODULES / package / "package.json"
    if not meta.is_file():
        sys.exit(
            f"vendor_js: {meta} is missing; run `npm ci --prefix book` (or `make js`) first"
        )
    return json.loads(meta.read_text(encoding="utf-8"))["version"]


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dst)
    else:
        shutil.copy2(src, dst)


def main() -> int:
    for package, want in EXPECTED.items():
        have = _installed_version(package)
        if have != want:
            sys.exit(
                f"vendor_js: {package} is {have} in book/node_modules, expected {want};"
                " run `npm ci --prefix book`"
            )

    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    VENDOR.mkdir(parents=True)

    _copy(NODE_MODULES / "requirejs" / "require.js", VENDOR / "require.js")

    # html-manager: the AMD bundle and its hashed webpack assets (fonts, svg)
    dist = NODE_MODULES / "@jupyter-widgets" / "html-manager" / "dist"
    for path in sorted(dist.iterdir()):
        if path.name == "embed-amd.js" or (
            path.suffix in {".woff", ".woff2", ".ttf", ".eot", ".svg"}
        ):
            _copy(path, VENDOR / "html-manager" / path.name)

    _copy(NODE_MODULES / "anywidget" / "dist" / "index.js", VENDOR / "anywidget" / "index.js")

    es5 = NODE_MODULES / "mathjax" / "es5"
    for rel in MATHJAX_KEEP:
        src = es5 / rel
        if not src.exists():
            sys.exit(f"vendor_js: {src} not found in mathjax {EXPECTED['mathjax']}")
        _copy(src, VENDOR / "mathjax" / rel)

    # licences travel with the code: each package's licence file where it ships
    # one, and a list of name, version and licence identifier for all of them
    lines = []
    for package in EXPECTED:
        meta = json.loads((NODE_MODULES / package / "package.json").read_text("utf-8"))
        lines.append(f"{package}@{meta['version']}: {meta.get('license', 'see package')}")
        for name in ("LICENSE", "LICENSE.txt", "LICENSE.md"):
            lic = NODE_MODULES / package / name
            if lic.is_file():
                short = package.rsplit("/", 1)[-1]
                _copy(lic, VENDOR / "licenses" / f"{short}-{name}")
                break
    (VENDOR / "licenses" / "PACKAGES.txt").write_text("\n".join(lines) + "\n", "utf-8")

    total = sum(p.stat().st_size for p in VENDOR.rglob("*") if p.is_file())
    print(f"vendor_js: wrote {VENDOR.relative_to(BOOK.parent)} ({total / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
