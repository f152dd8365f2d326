// FractionallyStridedView: a transposed convolution as zero insertion, padding and a stride-1
// convolution with the flipped kernel. Every grid and every output value comes precomputed from
// Python (widgets.ops); this script only draws, looks up and animates.
//
// The step buttons walk one timeline: the input, the inserted zeros, the padding, then one step
// per output cell while the stride-1 window slides across the padded grid (row by row).

const STAGE_ORDER = ["input", "inserted", "padded", "output"];

function renderZeroInsertion({ model, el }) {
  const frame = createExplorerFrame(el, {
    name: "zero-insertion",
    title: "Transposed convolution, the fractionally-strided way",
    description:
      "Four grids built one after another: the input (blue); the input with stride minus one zeros " +
      "inserted between neighbouring cells; that grid with a border of zeros; and the output (orange) " +
      "of an ordinary stride-1 convolution with the kernel flipped in both directions. Use the step " +
      "buttons (first, back, next, last), the stage menu or Play; in the last stage the window the current output cell reads " +
      "is highlighted in the padded grid, and the status line spells out the sum.",
  });
  const stageLabels = model.get("stage_labels");

  // A new setting stops Play, and its sliding window starts again at the first output cell.
  const range = (trait, label) =>
    traitControl(model, trait, label, {
      onChange: (v) => {
        player.stop();
        model.set(trait, v);
        model.set("step", 0);
        model.save_changes();
      },
    });
  const controls = {
    stride: range("stride", "stride"),
    padding: range("padding", "padding"),
    kernel_size: range("kernel_size", "kernel size"),
  };
  const stageMenu = selectControl({
    label: "stage",
    options: STAGE_ORDER.map((s) => [s, stageLabels[s]]),
    value: model.get("stage"),
    onChange: (v) => {
      player.stop();
      goTo(STAGE_ORDER.indexOf(v));
    },
  });
  // Play walks the timeline one step at a time (from the start when it is at the end).
  const player = createPlayer(frame, {
    start: () => {
      if (position() >= lastPosition()) goTo(0);
    },
    step: () => {
      if (position() >= lastPosition()) return false;
      goTo(position() + 1);
      return true;
    },
  });
  const walk = (label, text, to) => buttonControl(label, text, () => { player.stop(); goTo(to()); });
  const buttons = {
    first: walk("first step", "|◀ First", () => 0),
    previous: walk("previous step", "◀ Back", () => position() - 1),
    next: walk("next step", "Next ▶", () => position() + 1),
    last: walk("last step", "Last ▶|", () => lastPosition()),
    play: player.button,
  };
  for (const control of [...Object.values(controls), stageMenu]) frame.controls.append(control.el);
  frame.controls.append(h("span", { class: "tc-buttons" }, Object.values(buttons)));

  const highlighter = createHighlighter();
  let grids = {};
  let state = null;

  // ----- the data of the current setting (all looked up) -----
  const lookUp = () => {
    const st = { ...currentSetting(model), ...currentState(model) };
    st.cells = st.output ? st.output.length * st.output.length : 0;
    return st;
  };

  // Timeline position: 0..2 are the first three stages, 3 + j is output cell j.
  const lastPosition = () => (state.error ? 0 : 2 + state.cells);
  const position = () => {
    const stage = STAGE_ORDER.indexOf(model.get("stage"));
    return stage < 3 ? stage : 3 + model.get("step");
  };
  const goTo = (t) => {
    t = Math.max(0, Math.min(lastPosition(), t));
    model.set("stage", STAGE_ORDER[Math.min(t, 3)]);
    model.set("step", t >= 3 ? t - 3 : 0);
    model.save_changes();
  };

  // ----- geometry: where a cell of one grid sits in the next (index arithmetic only) -----
  const insertedOf = (r, c) => [r * state.stride, c * state.stride];
  const paddedOf = (r, c) => [r + state.pad, c + state.pad];
  const cellIf = (grid, r, c) => {
    const g = grids[grid];
    return g && r >= 0 && c >= 0 && r < g.cells.length && c < g.cells[0].length ? g.cell(r, c) : null;
  };
  // What a cell of the inserted grid holds: an input value (its input cell) or an inserted zero.
  const inputAt = (r, c) =>
    r % state.stride === 0 && c % state.stride === 0 ? [r / state.stride, c / state.stride] : null;

  const dims = (grid) => `${grid.length}×${grid[0].length}`;

  // ----- status lines -----
  const formula = () => {
    const n = state.input.length;
    return `(I−1)·S − 2P + K = ${n - 1}·${state.stride} − 2·${state.padding} + ${state.kernel_size} = ` +
      `${state.output.length}`;
  };
  const stageText = {
    input: () =>
      `Stage 1 of 4: the ${dims(state.input)} input. Next, S−1 = ${state.stride - 1} ` +
      `zero${state.stride === 2 ? "" : "s"} go between neighbouring cells.`,
    inserted: () =>
      `Stage 2 of 4: ${state.stride - 1} zero${state.stride === 2 ? "" : "s"} inserted between neighbours ` +
      `in every row and column, so the ${dims(state.input)} input becomes (I−1)·S+1 = ${dims(state.inserted)}. ` +
      "The blue cells are the input values, in their original order.",
    padded: () => {
      const k = state.kernel_size;
      const p = state.padding;
      return state.pad >= 0
        ? `Stage 3 of 4: K−1−P = ${k}−1−${p} = ${state.pad} zero${state.pad === 1 ? "" : "s"} of border on ` +
          `each side (dashed), so ${dims(state.inserted)} becomes ${dims(state.padded)}.`
        : `Stage 3 of 4: K−1−P = ${k}−1−${p} = ${state.pad} is negative, so instead of padding, ` +
          `${-state.pad} row and column ${-state.pad === 1 ? "is" : "are"} cropped from each side: ` +
          `${dims(state.inserted)} becomes ${dims(state.padded)}.`;
    },
  };
  const windowText = (r, c) => {
    const k = state.kernel_size;
    const terms = [];
    let sum = 0;
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const v = state.padded[r + i][c + j];
        if (v !== 0) {
          terms.push(`${formatNumber(state.flipped[i][j])}·${formatNumber(v)}`);
          sum += state.flipped[i][j] * v;
        }
      }
    }
    const value = state.output[r][c];
    return `Output (${r},${c}) = ${formatNumber(value)}: the flipped ${k}×${k} kernel over rows ${r}–${r + k - 1}, ` +
      `columns ${c}–${c + k - 1} of the padded grid. ` +
      (terms.length
        ? `Non-zero products: ${terms.join(" + ")} = ${formatNumber(sum)}.`
        : "Every tap reads a zero, so the value is 0.") +
      ` The output is ${dims(state.output)}, as the formula says: ${formula()}.`;
  };

  // ----- highlights -----
  const windowCells = (r, c) => {
    const lit = [];
    for (let i = 0; i < state.kernel_size; i++) {
      for (let j = 0; j < state.kernel_size; j++) lit.push(grids.padded.cell(r + i, c + j));
    }
    return lit;
  };
  const showWindow = (r, c) => {
    highlighter.set([...windowCells(r, c), ...grids.kernel.cells.flat()], grids.output.cell(r, c));
    frame.status.textContent = windowText(r, c);
  };
  const showStage = () => {
    frame.status.removeAttribute("data-level");
    if (state.error) {
      highlighter.clear();
      frame.status.setAttribute("data-level", "error");
      frame.status.textContent = state.error;
      return;
    }
    const stage = model.get("stage");
    if (stage === "output") {
      const m = state.output.length;
      const step = Math.min(model.get("step"), state.cells - 1);
      showWindow(Math.floor(step / m), step % m);
      return;
    }
    const lit = [];
    if (stage === "inserted" || stage === "padded") {
      // The input values' new places.
      state.input.forEach((row, r) =>
        row.forEach((_, c) => {
          const [ir, ic] = insertedOf(r, c);
          const target = stage === "inserted" ? cellIf("inserted", ir, ic) : cellIf("padded", ...paddedOf(ir, ic));
          if (target) lit.push(target);
        }),
      );
    }
    highlighter.set(lit);
    frame.status.textContent = stageText[stage]();
  };

  const onInput = (r, c) => {
    const [ir, ic] = insertedOf(r, c);
    const lit = [cellIf("inserted", ir, ic), cellIf("padded", ...paddedOf(ir, ic))].filter(Boolean);
    highlighter.set(lit, grids.input.cell(r, c));
    frame.status.textContent =
      `Input (${r},${c}) = ${formatNumber(state.input[r][c])} moves to (${ir},${ic}) after zero insertion` +
      (state.error ? "." : cellIf("padded", ...paddedOf(ir, ic))
        ? ` and to (${ir + state.pad},${ic + state.pad}) after padding.`
        : ", and the crop removes it.");
  };
  const onInserted = (r, c) => {
    const from = inputAt(r, c);
    const lit = [cellIf("padded", ...paddedOf(r, c))].filter(Boolean);
    if (from) lit.push(grids.input.cell(...from));
    highlighter.set(lit, grids.inserted.cell(r, c));
    frame.status.textContent = from
      ? `Inserted grid (${r},${c}) holds input (${from[0]},${from[1]}) = ${formatNumber(state.input[from[0]][from[1]])}.`
      : `Inserted grid (${r},${c}) is an inserted zero.`;
  };
  const onPadded = (r, c) => {
    const [ir, ic] = [r - state.pad, c - state.pad];
    const inside = ir >= 0 && ic >= 0 && ir < state.inserted.length && ic < state.inserted.length;
    const from = inside ? inputAt(ir, ic) : null;
    const lit = [];
    if (inside) lit.push(grids.inserted.cell(ir, ic));
    if (from) lit.push(grids.input.cell(...from));
    highlighter.set(lit, grids.padded.cell(r, c));
    frame.status.textContent = !inside
      ? `Padded grid (${r},${c}) is a border zero.`
      : from
        ? `Padded grid (${r},${c}) holds input (${from[0]},${from[1]}) = ${formatNumber(state.input[from[0]][from[1]])}.`
        : `Padded grid (${r},${c}) is an inserted zero.`;
  };
  const onOutput = (r, c) => showWindow(r, c);
  const onKernel = (r, c) => {
    const k = state.kernel_size;
    highlighter.set([grids.kernel.cell(r, c)]);
    frame.status.textContent =
      `Flipped kernel (${r},${c}) = ${formatNumber(state.flipped[r][c])} is tap (${k - 1 - r},${k - 1 - c}) ` +
      "of the transposed convolution's kernel: both axes are reversed.";
  };

  // ----- drawing -----
  const markCells = (grid, classify) => {
    grid.cells.forEach((row, r) => row.forEach((cell, c) => cell.classList.add(classify(r, c))));
  };
  const arrow = (text) => h("span", { class: "tc-op", "aria-hidden": "true", text });

  const draw = () => {
    state = lookUp();
    const stageIndex = state.error ? 0 : STAGE_ORDER.indexOf(model.get("stage"));
    const n = state.input.length;
    grids = {
      input: buildGrid({ name: "input", values: state.input, kind: "input",
        caption: `input (${n}×${n})`, onEnter: onInput }),
    };
    const parts = [grids.input.el];
    if (stageIndex >= 1) {
      grids.inserted = buildGrid({ name: "inserted", values: state.inserted, kind: "neutral tc-kind-spread",
        caption: `S−1 = ${state.stride - 1} zeros inserted (${dims(state.inserted)})`, onEnter: onInserted });
      markCells(grids.inserted, (r, c) => (inputAt(r, c) ? "tc-from-input" : "tc-inserted-zero"));
      parts.push(arrow("→"), grids.inserted.el);
    }
    if (stageIndex >= 2) {
      const what = state.pad >= 0 ? `padded by ${state.pad}` : `cropped by ${-state.pad}`;
      grids.padded = buildGrid({ name: "padded", values: state.padded, kind: "neutral tc-kind-spread",
        caption: `${what} (${dims(state.padded)})`, onEnter: onPadded });
      markCells(grids.padded, (r, c) => {
        const [ir, ic] = [r - state.pad, c - state.pad];
        if (ir < 0 || ic < 0 || ir >= state.inserted.length || ic >= state.inserted.length) return "tc-border-zero";
        return inputAt(ir, ic) ? "tc-from-input" : "tc-inserted-zero";
      });
      parts.push(arrow("→"), grids.padded.el);
    }
    if (stageIndex >= 3) {
      const k = state.kernel_size;
      grids.kernel = buildGrid({ name: "kernel", values: state.flipped, kind: "neutral",
        caption: `kernel flipped in both axes (${k}×${k})`, onEnter: onKernel });
      const m = state.output.length;
      const shown = Math.min(model.get("step"), state.cells - 1);
      grids.output = buildGrid({ name: "output", values: state.output, kind: "output",
        caption: `output (${m}×${m}) = conv_transpose2d`, onEnter: onOutput });
      // Cells the window has not reached yet stay empty until it does.
      grids.output.cells.flat().forEach((cell, j) => {
        if (j > shown) {
          cell.textContent = "";
          cell.classList.add("tc-pending");
        }
      });
      // The convolution keeps together when the row wraps: ⋆ kernel = output.
      parts.push(h("div", { class: "tc-pipeline" },
        [arrow("⋆"), grids.kernel.el, arrow("="), grids.output.el]));
    }
    const legend = h("div", { class: "tc-legend" }, [
      h("span", { class: "tc-swatch tc-swatch-input", "aria-hidden": "true" }), " input value  ",
      h("span", { class: "tc-swatch tc-swatch-inserted", "aria-hidden": "true" }), " inserted zero  ",
      h("span", { class: "tc-swatch tc-swatch-border", "aria-hidden": "true" }), " border zero  ",
      h("span", { class: "tc-swatch tc-swatch-output", "aria-hidden": "true" }), " output",
    ]);
    frame.body.replaceChildren(h("div", { class: "tc-pipeline" }, parts), legend);
    stageMenu.set(STAGE_ORDER[stageIndex]);
    buttons.first.disabled = buttons.previous.disabled = position() <= 0 || Boolean(state.error);
    buttons.next.disabled = buttons.last.disabled = position() >= lastPosition();
    buttons.play.disabled = Boolean(state.error);
    showStage();
  };

  wireExplorer({ model, frame, controls, redrawOn: ["stage", "step"], draw, rest: showStage });
  return () => player.stop();
}

export default { render: renderZeroInsertion };
