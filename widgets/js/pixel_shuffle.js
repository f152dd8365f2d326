// PixelShuffleExplorer: out[c, h*r+i, w*r+j] = in[c*r*r + i*r + j, h, w].
// Every value and every link is precomputed in Python (widgets/pixel_shuffle.py):
// "source" says which input cell each output cell copies, "target" where each input
// cell goes. This script only looks them up and draws.

function renderPixelShuffle({ model, el }) {
  const frame = createExplorerFrame(el, {
    name: "pixel-shuffle",
    title: "Pixel shuffle: r² low-resolution channels become one channel r times larger",
    description:
      "Left: the input channels, each a small grid, arranged per output channel in an r by r block " +
      "whose position is the sub-pixel the channel fills. Right: the output channels. Hover or focus " +
      "any cell, or move with the arrow keys, to light the cell it maps to on the other side; the " +
      "status line states the mapping with the formula out[c, h·r+i, w·r+j] = in[c·r·r + i·r + j, h, w].",
  });
  const size = model.get("size");
  const controls = {
    r: traitControl(model, "r", "upscale factor"),
    channels: traitControl(model, "channels", "output channels"),
  };
  for (const control of Object.values(controls)) frame.controls.append(control.el);
  const legend = h("div", { class: "tc-legend" });
  frame.root.insertBefore(legend, frame.status);

  const highlighter = createHighlighter();
  let state = null;
  let inputs = [];   // inputs[k]: the grid of input channel k
  let outputs = [];  // outputs[c]: the grid of output channel c

  const summary = () => {
    const { r, channels } = state;
    const n = channels * r * r;
    return (
      `r = ${r}: ${n} input channel${n > 1 ? "s" : ""} of ${size}×${size} become ${channels} output ` +
      `channel${channels > 1 ? "s" : ""} of ${size * r}×${size * r}. No value is computed, only moved. ` +
      "Hover or focus a cell on either side."
    );
  };

  const onInput = (k) => (hh, w) => {
    const { r } = state;
    const big = size * r;
    const t = state.target[k][hh][w];
    const c = Math.floor(t / (big * big));
    const y = Math.floor((t % (big * big)) / big);
    const x = t % big;
    const i = Math.floor((k % (r * r)) / r);
    const j = k % r;
    highlighter.set([outputs[c].cell(y, x)], inputs[k].cell(hh, w));
    frame.status.textContent =
      `in[${k}, ${hh}, ${w}] = ${state.input[k][hh][w]} goes to out[${c}, ${y}, ${x}]. ` +
      `Channel ${k} = ${c}·${r * r} + ${i}·${r} + ${j}, so c = ${c}, i = ${i}, j = ${j}: ` +
      `row h·r + i = ${hh}·${r} + ${i} = ${y}, column w·r + j = ${w}·${r} + ${j} = ${x}.`;
  };

  const onOutput = (c) => (y, x) => {
    const { r } = state;
    const s = state.source[c][y][x];
    const k = Math.floor(s / (size * size));
    const hh = Math.floor((s % (size * size)) / size);
    const w = s % size;
    const i = y % r;
    const j = x % r;
    highlighter.set([inputs[k].cell(hh, w)], outputs[c].cell(y, x));
    frame.status.textContent =
      `out[${c}, ${y}, ${x}] = ${state.output[c][y][x]} comes from in[${k}, ${hh}, ${w}]. ` +
      `Row ${y} = ${hh}·${r} + ${i} and column ${x} = ${w}·${r} + ${j}, so h = ${hh}, i = ${i}, w = ${w}, ` +
      `j = ${j}, and the channel is c·r² + i·r + j = ${c}·${r * r} + ${i}·${r} + ${j} = ${k}.`;
  };

  // Every cell is tagged with its sub-pixel position (i, j), shown as a coloured bar: the same
  // colour on both sides, so the interleaving is visible before hovering anything.
  const tag = (cell, sub) => cell.classList.add(`tc-ps-sub-${sub}`);

  const draw = () => {
    const r = model.get("r");
    const channels = model.get("channels");
    state = currentState(model);
    inputs = [];
    outputs = [];
    const inputSide = h("div", { class: "tc-ps-side" }, [
      h("div", { class: "tc-ps-heading", text: `input: ${channels * r * r} channels of ${size}×${size}` }),
    ]);
    for (let c = 0; c < channels; c++) {
      const block = h("div", { class: "tc-ps-block", style: `--tc-ps-r: ${r}` });
      for (let sub = 0; sub < r * r; sub++) {
        const k = c * r * r + sub;
        const grid = buildGrid({
          name: "input", values: state.input[k], kind: "input",
          caption: `in[${k}] → (${Math.floor(sub / r)}, ${sub % r})`, onEnter: onInput(k),
        });
        grid.el.classList.add("tc-ps-channel", `tc-ps-sub-${sub}`);
        for (const row of grid.cells) for (const cell of row) {
          cell.setAttribute("data-channel", k);
          tag(cell, sub);
        }
        inputs.push(grid);
        block.append(grid.el);
      }
      inputSide.append(h("div", { class: "tc-ps-group" }, [
        h("div", { class: "tc-ps-group-label", text: `channels ${c * r * r}–${(c + 1) * r * r - 1} → output channel ${c}` }),
        block,
      ]));
    }
    const outputSide = h("div", { class: "tc-ps-side" }, [
      h("div", { class: "tc-ps-heading", text: `output: ${channels} channel${channels > 1 ? "s" : ""} of ${size * r}×${size * r}` }),
    ]);
    for (let c = 0; c < channels; c++) {
      const grid = buildGrid({
        name: "output", values: state.output[c], kind: "output",
        caption: `out[${c}] (${size * r}×${size * r})`, onEnter: onOutput(c),
      });
      grid.cells.forEach((row, y) => row.forEach((cell, x) => {
        cell.setAttribute("data-channel", c);
        tag(cell, (y % r) * r + (x % r));
      }));
      outputs.push(grid);
      outputSide.append(grid.el);
    }
    frame.body.replaceChildren(inputSide, h("div", { class: "tc-op", text: `→ shuffle, r = ${r} →` }), outputSide);
    legend.textContent =
      `Blue: input cells; orange: output cells. The coloured bar under a number marks its sub-pixel ` +
      `position (i, j): input channel c·${r * r} + i·${r} + j fills every cell of output channel c whose ` +
      `row mod ${r} is i and column mod ${r} is j. Yellow with an outline: the cell hovered and the one it maps to.`;
    frame.status.textContent = summary();
  };

  wireExplorer({ model, frame, controls, draw, rest: restingView(frame, highlighter, summary) });
}

export default { render: renderPixelShuffle };
