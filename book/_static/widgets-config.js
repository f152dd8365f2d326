/*
 * Tell RequireJS where the book's own copy of anywidget lives, before the
 * widget manager (vendor/html-manager/embed-amd.js) asks for it.
 *
 * myst-nb loads, on every page that holds widget state, in this order:
 *   _static/vendor/require.js, _static/widgets-config.js (this file),
 *   _static/vendor/html-manager/embed-amd.js
 * (see nb_ipywidgets_js in _config.yml). Every explorer is an anywidget, so the
 * manager requests the AMD module "anywidget"; without a path for it, the
 * manager falls back to fetching it from a public CDN, which fails offline and
 * leaves the widget blank.
 *
 * URLs are computed from this script's own address, so they are right at any
 * page depth (book/index.html, chapters/x.html, ...) and on any host.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || typeof window.require !== "function" || !window.require.config) {
    console.error("widgets-config.js: RequireJS must be loaded before this script");
    return;
  }
  // ".../_static/widgets-config.js" -> ".../_static/"
  var staticBase = new URL(".", script.src).href;
  var vendor = staticBase + "vendor/";

  window.require.config({
    paths: {
      // RequireJS adds ".js" itself
      anywidget: vendor + "anywidget/index",
      // embed-amd.js defines @jupyter-widgets/{base,controls,base7,controls7,html-manager}
      // and @jupyter-widgets/html-manager/dist/libembed-amd itself, so nothing is fetched
      // under these names. But each one's webpack runtime takes the folder of its module URL
      // as the place of its assets (the Font Awesome fonts its CSS refers to); unmapped, that
      // is a folder under the page's own (<page folder>/@jupyter-widgets/...) and every font
      // request is a 404. Both entries put that folder at vendor/html-manager/ (RequireJS
      // uses the longest matching prefix).
      "@jupyter-widgets": vendor + "html-manager",
      "@jupyter-widgets/html-manager/dist": vendor + "html-manager",
    },
  });
  // The same folder, for the parts of the bundle that read it from here.
  window.__jupyter_widgets_assets_path__ = vendor + "html-manager/";

  // The manager's last resort for a module RequireJS cannot find is
  // <data-jupyter-widgets-cdn>/<name>@<version>/dist/index.js, read from any
  // <script> on the page; point it at a local folder so that a missing module
  // shows up as a failed local request, never as a request to another site.
  script.setAttribute("data-jupyter-widgets-cdn", vendor + "npm/");
})();
