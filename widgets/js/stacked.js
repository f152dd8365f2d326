// StackedLayersExplorer: a constant 1-D signal through 1-4 transposed convolutions with kernels
// of ones. The JS computes each layer itself (too many states to precompute); stackedLayers is
// the twin of widgets.stacked.stacked_state, and tests/test_browser_stacked.py compares the two.

function stackedLayers(inputLength, stack) {
  let x = Array(inputLength).fill(1);
  let first = 0;
  let last = inputLength - 1;
  const out = [];
  for (const [K, S] of stack) {
    // Scatter-add: input i adds its value to output positions i*S .. i*S + K - 1.
    const y = Array((x.length - 1) * S + K).fill(0);
    x.forEach((v, i) => {
      for (let k = 0; k < K; k++) y[i * S + k] += v;
    });
    x = y;
    [first, last] = [S * first + K - 1, S * last];
    const inner = x.slice(first, last + 1);
    out.push({
      kernel_size: K,
      stride: S,
      profile: x,
      interior: [first, last],
      share: periodTwoShare(inner),
      range: inner.length ? [Math.min(...inner), Math.max(...inner)] : null,
    });
  }
  return out;
}

// ops.checkerboard_energy of a 1 x L image (L cut to even): (sum (-1)^p d_p)^2 / (L sum d_p^2),
// with d the values minus their mean (Parseval: the only Nyquist bin of a 1-D signal is L/2).
function periodTwoShare(values) {
  const v = values.slice(0, Math.floor(values.length / 2) * 2);
  if (v.length < 2) return null;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const d = v.map((a) => a - mean);
  const scale = Math.max(...v.map(Math.abs));
  if (Math.max(...d.map(Math.abs)) <= 16 * Number.EPSILON * scale) return 0;
  const alt = d.reduce((a, b, p) => a + (p % 2 ? -b : b), 0);
  const total = d.reduce((a, b) => a + b * b, 0);
  return Math.min(1, Math.max(0, (alt * alt) / (v.length * total)));
}

// The (K, S) of each layer in use, from the controls' values (widgets.stacked.stack_of).
function stackOf(setting) {
  const stack = [];
  for (let l = 1; l <= setting.layers; l++) stack.push([setting[`kernel_size_${l}`], setting[`stride_${l}`]]);
  return stack;
}

function renderStacked({ model, el }) {
  const frame = createExplorerFrame(el, {
    name: "stacked",
    title: "Stacked upsampling layers: how the overlap pattern compounds",
    description:
      "A constant signal of ones goes through one to four transposed convolutions whose kernels are all ones, " +
      "so each row of bars is the overlap profile of the stack so far: a flat row means even overlap, a " +
      "jagged row is the checkerboard pattern in one dimension. Faded bars are edge positions. Each row states " +
      "its period-2 share (the chapter's checkerboard measure) and the smallest and largest interior value. " +
      "Hover or focus a bar to light it and the bars of the layer before that feed it.",
  });
  const n = model.get("input_length");
  // What the page draws for a setting (the twin of Python's compute), exposed so a test can check
  // every reachable stack (about 111,000) without drawing each one.
  frame.root.tcCompute = (setting) => stackedLayers(n, stackOf(setting));
  const labelOf = (t) => t.replace(/^kernel_size_(\d)$/, "layer $1 kernel size").replace(/^stride_(\d)$/, "layer $1 stride");
  const controls = {};
  const groups = [];
  for (const trait of controlNames(model)) controls[trait] = traitControl(model, trait, labelOf(trait));
  frame.controls.append(controls.layers.el);
  for (let l = 1; l <= 4; l++) {
    // The legend names the layer; the visible labels stay short (aria-labels keep the layer).
    controls[`kernel_size_${l}`].el.querySelector("span").textContent = "K";
    controls[`stride_${l}`].el.querySelector("span").textContent = "S";
    const group = h("fieldset", { class: "tc-layer-controls" }, [
      h("legend", { text: `layer ${l}` }), controls[`kernel_size_${l}`].el, controls[`stride_${l}`].el,
    ]);
    groups.push(group);
    frame.controls.append(group);
  }

  const highlighter = createHighlighter();
  let rows = [];
  let layers = [];

  const describeShare = (layer) =>
    layer.share === null ? "no interior to measure" : `period-2 share ${layer.share.toFixed(3)}`;
  const summary = () => {
    const lastLayer = layers[layers.length - 1];
    return (
      `${n} ones through ${layers.length} layer${layers.length === 1 ? "" : "s"} ` +
      `(${layers.map((l) => `K=${l.kernel_size} S=${l.stride}`).join(", then ")}): ` +
      `${lastLayer.profile.length} values; the result has ${describeShare(lastLayer)}` +
      (lastLayer.range ? `, interior from ${lastLayer.range[0]} to ${lastLayer.range[1]}.` : ".") +
      " Hover or focus a bar."
    );
  };

  const onBar = (l, p) => {
    const layer = layers[l - 1];
    const from = [];
    for (let k = layer.kernel_size - 1; k >= 0; k--) {
      const q = p - k;
      if (q >= 0 && q % layer.stride === 0 && q / layer.stride < rows[l - 1].length) from.push(q / layer.stride);
    }
    highlighter.set(from.map((q) => rows[l - 1][q]), rows[l][p]);
    const prev = l === 1 ? "the input" : `layer ${l - 1}`;
    const values = from.map((q) => formatNumber(l === 1 ? 1 : layers[l - 2].profile[q]));
    frame.status.textContent =
      `Layer ${l}, position ${p}: ${formatNumber(layer.profile[p])} = ` +
      `${values.length ? values.join(" + ") : "0"}, the sum of ${from.length} value${from.length === 1 ? "" : "s"} of ` +
      `${prev} (position${from.length === 1 ? "" : "s"} ${from.join(", ") || "none"}) that its kernel of ones reaches.`;
  };
  const onInputBar = (p) => {
    highlighter.set([], rows[0][p]);
    frame.status.textContent = `Input position ${p}: 1. The input is constant, so any pattern below comes from the layers.`;
  };

  const barRow = (name, values, interior, kind, onEnter, caption, note) => {
    const max = Math.max(1, ...values);
    // A one-row grid: the bars are its gridcells, so each keeps its "position p: value" label.
    const bars = h("div", { class: `tc-bars tc-kind-${kind}`, role: "row",
      style: values.length > 150 ? "--tc-gap: 0px" : null });
    const chart = h("div", { class: "tc-bars-grid", role: "grid", "aria-label": caption }, bars);
    const cells = values.map((v, p) => {
      const edge = interior && (p < interior[0] || p > interior[1]);
      const bar = h("span", {
        class: `tc-bar${edge ? " tc-edge" : ""}${v === 0 ? " tc-zero" : ""}`,
        role: "gridcell",
        "data-grid": name,
        "data-row": 0,
        "data-col": p,
        "aria-label": `position ${p}: ${v}`,
        style: `--tc-h: ${v / max}; --tc-n: ${values.length}`,
      });
      bars.append(bar);
      return bar;
    });
    navigateCells(chart, [cells], (_, p) => onEnter(p));
    const head = h("div", { class: "tc-bars-caption" }, [h("span", { class: "tc-bars-title", text: caption }),
      note ? h("span", { class: "tc-bars-note", "data-role": "measure", text: note }) : null]);
    return { el: h("figure", { class: "tc-bars-figure" }, [head, chart]), cells };
  };

  const draw = () => {
    const setting = currentSetting(model);
    groups.forEach((g, i) => {
      g.disabled = i >= setting.layers;
      g.classList.toggle("tc-unused", i >= setting.layers);
    });
    layers = frame.root.tcCompute(setting);
    const figures = [];
    const input = barRow("input", Array(n).fill(1), null, "input", onInputBar, `input: ${n} ones`, "constant");
    rows = [input.cells];
    figures.push(input.el);
    layers.forEach((layer, i) => {
      const l = i + 1;
      const note = `${describeShare(layer)}` + (layer.range ? ` · interior ${layer.range[0]}–${layer.range[1]}` : "");
      const row = barRow(`layer-${l}`, layer.profile, layer.interior, "output", (p) => onBar(l, p),
        `layer ${l}: K=${layer.kernel_size}, S=${layer.stride} → ${layer.profile.length} values`, note);
      row.el.setAttribute("data-layer", l);
      row.el.setAttribute("data-share", layer.share === null ? "" : layer.share);
      rows.push(row.cells);
      figures.push(row.el);
    });
    frame.body.replaceChildren(h("div", { class: "tc-stack" }, figures));
    frame.status.textContent = summary();
  };

  wireExplorer({ model, frame, controls, draw, rest: restingView(frame, highlighter, summary) });
}

export default { render: renderStacked };
