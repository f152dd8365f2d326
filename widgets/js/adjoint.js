// AdjointExplorer: y = Cᵀx, with the links between x, Cᵀ and y lit on hover.
// Every number and every link comes precomputed from Python (model "states", one per setting).

function listCells(indices, size) {
  return indices.map((i) => cellName(i, size)).join(", ");
}

function renderAdjoint({ model, el }) {
  const frame = createExplorerFrame(el, {
    name: "adjoint",
    title: "Transposed convolution as a matrix: y = Cᵀx",
    description:
      "Three grids: the input x, the matrix C transposed (one row per output cell, one column per input cell), " +
      "and the output y. Hover or focus a cell, or move between cells with the arrow keys, to light the cells " +
      "it is linked to; the status line below says what is lit and why.",
  });
  const controls = {
    kernel: traitControl(model, "kernel", "kernel", { names: model.get("kernel_labels") }),
    input_size: traitControl(model, "input_size", "input size"),
    stride: traitControl(model, "stride", "stride"),
    padding: traitControl(model, "padding", "padding"),
  };
  for (const control of Object.values(controls)) frame.controls.append(control.el);

  const highlighter = createHighlighter();
  let grids = null;
  let state = null;

  // Cᵀ's entries are looked up, not computed: taps[o][i] names the kernel tap
  // (from Python's conv_matrix) that links input i to output o, or is -1.
  const lookUp = () => {
    const found = currentState(model);
    const taps = found.kernel.flat();
    return {
      ...found,
      input_size: model.get("input_size"),
      matrix: found.taps.map((row) => row.map((t) => (t >= 0 ? taps[t] : 0))),
    };
  };

  const summary = () =>
    `Cᵀ is ${state.output_size ** 2}×${state.input_size ** 2}: one row for each of the ` +
    `${state.output_size}×${state.output_size} output cells, one column for each of the ` +
    `${state.input_size}×${state.input_size} input cells. Hover or focus a cell of x, Cᵀ or y.`;

  const onInput = (r, c) => {
    const n = state.input_size;
    const i = r * n + c;
    const outs = state.windows[i];
    highlighter.set(
      [...outs.map((o) => grids.output.cell(Math.floor(o / state.output_size), o % state.output_size)),
        ...state.matrix.map((_, o) => grids.matrix.cell(o, i))],
      grids.input.cell(r, c),
    );
    frame.status.textContent =
      `Input x${cellName(i, n)} = ${formatNumber(state.input[r][c])} owns column ${i} of Cᵀ. ` +
      `Its ${state.kernel.length}×${state.kernel.length} kernel window covers ${outs.length} output cells ` +
      `(zero-valued taps included); it adds ${formatNumber(state.input[r][c])} × tap to each of them.`;
  };

  const onOutput = (r, c) => {
    const m = state.output_size;
    const o = r * m + c;
    const ins = state.feeds[o];
    highlighter.set(
      [...ins.map((i) => grids.input.cell(Math.floor(i / state.input_size), i % state.input_size)),
        ...state.matrix[o].map((_, i) => grids.matrix.cell(o, i))],
      grids.output.cell(r, c),
    );
    const terms = ins.map((i) => {
      const x = state.input[Math.floor(i / state.input_size)][i % state.input_size];
      return `${formatNumber(x)}·${formatNumber(state.matrix[o][i])}`;
    });
    frame.status.textContent =
      `Output y${cellName(o, m)} = ${formatNumber(state.output[r][c])} is row ${o} of Cᵀ. ` +
      (ins.length
        ? `${ins.length} input cell${ins.length > 1 ? "s" : ""} reach it: ${listCells(ins, state.input_size)}; ` +
          `input × tap: ${terms.join(" + ")} = ${formatNumber(state.output[r][c])}.`
        : "No input cell's window reaches it, so it is 0.");
  };

  const onMatrix = (o, i) => {
    const n = state.input_size;
    const m = state.output_size;
    const tap = state.taps[o][i];
    const k = state.kernel.length;
    const lit = [
      grids.input.cell(Math.floor(i / n), i % n),
      grids.output.cell(Math.floor(o / m), o % m),
    ];
    if (tap >= 0) lit.push(grids.kernel.cell(Math.floor(tap / k), tap % k));
    highlighter.set(lit, grids.matrix.cell(o, i));
    frame.status.textContent =
      `Cᵀ[${o}, ${i}] = ${formatNumber(state.matrix[o][i])}: ` +
      (tap >= 0
        ? `input x${cellName(i, n)} reaches output y${cellName(o, m)} through kernel tap ` +
          `k(${Math.floor(tap / k)},${tap % k}).`
        : `the window of input x${cellName(i, n)} does not cover output y${cellName(o, m)}, so the entry is 0.`);
  };

  const onKernel = (r, c) => {
    highlighter.set([], grids.kernel.cell(r, c));
    frame.status.textContent =
      `Kernel tap k(${r},${c}) = ${formatNumber(state.kernel[r][c])}. Hover a cell of x, Cᵀ or y to see where it is used.`;
  };

  const draw = () => {
    state = lookUp();
    const n = state.input_size;
    const m = state.output_size;
    const inputNames = state.input.flat().map((_, i) => `x${cellName(i, n)}`);
    const outputNames = state.output.flat().map((_, o) => `y${cellName(o, m)}`);
    grids = {
      kernel: buildGrid({ name: "kernel", values: state.kernel, kind: "neutral",
        caption: `kernel k (${state.kernel.length}×${state.kernel.length})`, onEnter: onKernel }),
      input: buildGrid({ name: "input", values: state.input, kind: "input",
        caption: `input x (${n}×${n})`, onEnter: onInput }),
      matrix: buildGrid({ name: "matrix", values: state.matrix, kind: "matrix tc-kind-neutral",
        caption: `Cᵀ (${m * m}×${n * n}): row = output cell, column = input cell`,
        rowHeaders: outputNames, colHeaders: inputNames, onEnter: onMatrix }),
      output: buildGrid({ name: "output", values: state.output, kind: "output",
        caption: `output y = Cᵀx (${m}×${m})`, onEnter: onOutput }),
    };
    frame.body.replaceChildren(grids.kernel.el, grids.input.el, grids.matrix.el, grids.output.el);
    frame.status.textContent = summary();
  };

  wireExplorer({ model, frame, controls, draw, rest: restingView(frame, highlighter, summary) });
}

export default { render: renderAdjoint };
