// ScatterAddPainter: every input cell paints a copy of the kernel, scaled by its value,
// into the output; overlapping copies add up. Every number is precomputed in Python
// (widgets/scatter_add.py): each setting's state holds the running sums ("sums") for every
// set of painted cells and what each cell adds where ("added"). This script only looks them up and draws.

function renderScatterAdd({ model, el }) {
  const frame = createExplorerFrame(el, {
    name: "scatter-add",
    title: "Scatter-add: each input cell adds its value times the kernel to the output",
    description:
      "Three grids: the 2 by 2 input, the kernel, and the output. Click an input cell, or focus it and " +
      "press Enter, to add its value times the kernel into the output window it owns; the window's cells " +
      "are lit and every output cell shows its running sum. Play paints all input cells one after another " +
      "and turns into Pause, Step paints the next one, Reset clears the output. Hover or focus an output cell to " +
      "have the status line spell out its sum.",
  });
  const K = model.get("kernel_size");
  const input = model.get("input");
  const n = input[0].length;
  const cellCount = input.length * n;

  const controls = {
    kernel: traitControl(model, "kernel", "kernel", { names: model.get("kernel_labels") }),
    stride: traitControl(model, "stride", "stride"),
  };
  const player = createPlayer(frame, {
    start: () => {
      if (nextCell() === null) setTrait(model, "painted", []); // start over from a clean output
    },
    step: () => stepOnce(),
    paused: () => say(`Paused after ${painted().length} of ${cellCount} input cells. ${summary()}`),
  });
  const buttons = {
    play: player.button,
    step: buttonControl("step", "Step", () => stepOnce()),
    reset: buttonControl("reset", "Reset", () => reset()),
  };
  frame.controls.append(
    controls.kernel.el,
    controls.stride.el,
    h("div", { class: "tc-buttons" }, Object.values(buttons)),
  );
  const legend = h("div", {
    class: "tc-legend",
    text:
      "Blue: input (click a cell to paint it). Orange: output, each cell its running sum. Yellow: the cells " +
      "linked to the one just painted, clicked or hovered; a window includes its zero taps. ✓: already painted.",
  });
  frame.root.insertBefore(legend, frame.status);

  const highlighter = createHighlighter();
  let grids = null;

  const stride = () => model.get("stride");
  // The setting's precomputed state: its geometry (windows, taps), paintings (added, sums) and kernel.
  const state = () => currentState(model);
  const kernel = () => state().kernel;
  const painted = () => model.get("painted");
  const mask = () => painted().reduce((m, i) => m | (1 << i), 0);
  const value = (i) => input[Math.floor(i / n)][i % n];
  const tapName = (t) => `k${cellName(t, K)}`;
  const tapValue = (t) => kernel()[Math.floor(t / K)][t % K];

  const overlapNote = () => {
    const s = stride();
    const g = state();
    return s >= K
      ? `Stride ${s} ≥ kernel size ${K}: the windows no longer overlap, so each output cell gets at most one copy.`
      : `Stride ${s} < kernel size ${K}: the windows overlap, up to ${g.max_overlap} copies on one output cell.`;
  };
  const say = (text) => {
    frame.status.textContent = `${text} ${overlapNote()}`;
  };
  const windowCells = (i) => {
    const m = state().output_size;
    return state().windows[i].map((o) => grids.output.cell(Math.floor(o / m), o % m));
  };
  const windowText = (i) => {
    const g = state();
    const first = g.windows[i][0];
    const last = g.windows[i][g.windows[i].length - 1];
    const m = g.output_size;
    return `rows ${Math.floor(first / m)}–${Math.floor(last / m)}, columns ${first % m}–${last % m}`;
  };

  // What painting cell i did: the non-zero additions listed, the zero taps counted.
  const describePaint = (i, already) => {
    const g = state();
    const added = state().added[i];
    const m = g.output_size;
    const nonzero = g.windows[i].filter((_, j) => added[j] !== 0);
    const zeros = g.windows[i].length - nonzero.length;
    const parts = [];
    if (nonzero.length) {
      const amounts = [...new Set(nonzero.map((o) => added[g.windows[i].indexOf(o)]))];
      const where = nonzero.map((o) => cellName(o, m)).join(", ");
      parts.push(
        amounts.length === 1
          ? `It adds ${formatNumber(amounts[0])} at ${where}`
          : `It adds ${nonzero.map((o) => `${formatNumber(added[g.windows[i].indexOf(o)])} at ${cellName(o, m)}`).join(", ")}`,
      );
    }
    if (zeros) parts.push(`its ${zeros} zero tap${zeros > 1 ? "s add" : " adds"} nothing`);
    const count = painted().length;
    const head = already
      ? `Input ${cellName(i, n)} = ${formatNumber(value(i))} is already painted (its copy is in the sums):`
      : `Painted input ${cellName(i, n)} = ${formatNumber(value(i))} (${count} of ${cellCount}):`;
    const tail = count === cellCount ? " All input cells are painted: the output is the transposed convolution." : "";
    return `${head} ${formatNumber(value(i))} × kernel lands on output ${windowText(i)}. ${parts.join("; ")}.${tail}`;
  };

  const summary = () => {
    const count = painted().length;
    if (count === 0) {
      return (
        "Nothing painted yet, so every output cell is 0. Click an input cell (or focus it and press Enter), " +
        "or press Play, to paint its scaled kernel into the output."
      );
    }
    return describePaint(painted()[count - 1], false);
  };

  // Light the window of the most recently painted cell (or nothing) and say what happened.
  const showLatest = () => {
    const list = painted();
    if (list.length) {
      const i = list[list.length - 1];
      highlighter.set(windowCells(i), grids.input.cell(Math.floor(i / n), i % n));
    } else {
      highlighter.clear();
    }
    say(summary());
  };

  // Write the running sums and the painted marks into the existing grids.
  const refreshValues = () => {
    const sums = state().sums[mask()];
    sums.forEach((row, r) =>
      row.forEach((v, c) => {
        const cell = grids.output.cell(r, c);
        cell.textContent = formatNumber(v);
        cell.classList.toggle("tc-zero", v === 0);
      }),
    );
    const done = new Set(painted());
    for (let i = 0; i < cellCount; i++) {
      const cell = grids.input.cell(Math.floor(i / n), i % n);
      if (done.has(i)) cell.setAttribute("data-painted", "");
      else cell.removeAttribute("data-painted");
    }
    buttons.step.disabled = done.size === cellCount;
  };

  const paintCell = (i) => {
    if (painted().includes(i)) {
      highlighter.set(windowCells(i), grids.input.cell(Math.floor(i / n), i % n));
      say(describePaint(i, true));
      return;
    }
    setTrait(model, "painted", [...painted(), i]); // change:painted redraws
  };

  const nextCell = () => {
    const done = new Set(painted());
    for (let i = 0; i < cellCount; i++) if (!done.has(i)) return i;
    return null;
  };

  function stepOnce() {
    const i = nextCell();
    if (i === null) return false;
    paintCell(i);
    return nextCell() !== null;
  }

  function reset() {
    player.stop();
    setTrait(model, "painted", []);
  }

  const onInput = (r, c) => {
    const i = r * n + c;
    highlighter.set(windowCells(i), grids.input.cell(r, c));
    say(
      painted().includes(i)
        ? describePaint(i, true)
        : `Input ${cellName(i, n)} = ${formatNumber(value(i))}: its kernel copy would land on output ` +
            `${windowText(i)}. Click it (or press Enter) to paint it.`,
    );
  };

  // An output cell: which windows cover it, which tap each lands with, and the sum so far.
  const onOutput = (r, c) => {
    const g = state();
    const m = g.output_size;
    const o = r * m + c;
    const done = new Set(painted());
    const terms = [];
    const sources = [];
    for (let i = 0; i < cellCount; i++) {
      const j = g.windows[i].indexOf(o);
      if (j < 0) continue;
      const t = g.taps[i][j];
      sources.push(grids.input.cell(Math.floor(i / n), i % n));
      terms.push({
        i,
        text: `x${cellName(i, n)}·${tapName(t)} = ${formatNumber(value(i))}·${formatNumber(tapValue(t))}`,
        added: state().added[i][j],
        done: done.has(i),
      });
    }
    const total = state().sums[mask()][r][c];
    highlighter.set(sources, grids.output.cell(r, c));
    let text;
    if (!terms.length) {
      text = `Output ${cellName(o, m)}: no input window covers it, so it stays 0.`;
    } else {
      const nonzero = terms.filter((t) => t.added !== 0).length;
      const donePart = terms.filter((t) => t.done);
      text =
        `Output ${cellName(o, m)} = ${formatNumber(total)} so far. ${terms.length} input window` +
        `${terms.length > 1 ? "s cover" : " covers"} it, ${nonzero} through a non-zero tap: ` +
        terms.map((t) => `${t.text}${t.done ? "" : " (not painted yet)"}`).join(", ") +
        ". " +
        (donePart.length
          ? `Painted so far: ${donePart.map((t) => formatNumber(t.added)).join(" + ")} = ${formatNumber(total)}.`
          : "None of them is painted yet.");
    }
    say(text);
  };

  const onKernel = (r, c) => {
    highlighter.set([], grids.kernel.cell(r, c));
    say(`Kernel tap ${tapName(r * K + c)} = ${formatNumber(kernel()[r][c])}: every painted copy carries it, scaled.`);
  };

  const draw = () => {
    const g = state();
    const m = g.output_size;
    const k = kernel();
    grids = {
      input: buildGrid({ name: "input", values: input, kind: "input",
        caption: `input x (${input.length}×${n})`, onEnter: onInput }),
      kernel: buildGrid({ name: "kernel", values: k, kind: "neutral",
        caption: `kernel k (${K}×${K})`, onEnter: onKernel }),
      output: buildGrid({ name: "output", values: state().sums[mask()], kind: "output",
        caption: `output (${m}×${m}), stride ${stride()}: running sums`, onEnter: onOutput }),
    };
    grids.input.el.querySelector("[role=grid]").addEventListener("click", (event) => {
      const cell = event.target.closest && event.target.closest(".tc-cell");
      if (cell) paintCell(Number(cell.dataset.row) * n + Number(cell.dataset.col));
    });
    grids.input.el.querySelector("[role=grid]").addEventListener("keydown", (event) => {
      const cell = event.target.closest && event.target.closest(".tc-cell");
      if (!cell || (event.key !== "Enter" && event.key !== " ")) return;
      event.preventDefault();
      paintCell(Number(cell.dataset.row) * n + Number(cell.dataset.col));
    });
    frame.body.replaceChildren(
      grids.input.el,
      h("span", { class: "tc-op", "aria-hidden": "true", text: "×" }),
      grids.kernel.el,
      h("span", { class: "tc-op", "aria-hidden": "true", text: "→" }),
      grids.output.el,
    );
    refreshValues();
    showLatest();
  };

  model.on("change:painted", () => {
    refreshValues();
    showLatest();
  });
  const redraw = () => {
    player.stop();
    draw();
  };
  wireExplorer({ model, frame, controls, draw: redraw, rest: showLatest });
  return () => player.stop();
}

export default { render: renderScatterAdd };
