// OutputSizeCalculator: O = (I-1)·S - 2P + D·(K-1) + output_padding + 1, term by term.
// The formula is arithmetic on the six controls, so it is evaluated here (computeSizes); Python
// supplies the limits, the output_padding limit for every (S, D) (from widgets.ops), and the
// terms' names. The root element's tcCompute is the twin of Python's calculator_state, and
// tests/test_browser_output_size.py compares the two for every reachable state.

const OS_CONTROLS = [
  ["input_size", "input size", "I"],
  ["kernel_size", "kernel size", "K"],
  ["stride", "stride", "S"],
  ["padding", "padding", "P"],
  ["dilation", "dilation", "D"],
  ["output_padding", "output padding", "output_padding"],
];

// Everything shown for one state of the controls c = {input_size, ..., output_padding}.
function computeSizes(c) {
  const I = c.input_size, K = c.kernel_size, S = c.stride, P = c.padding, D = c.dilation;
  const op = c.output_padding;
  const terms = { spacing: (I - 1) * S, crop: -2 * P, reach: D * (K - 1), output_padding: op, one: 1 };
  const total = terms.spacing + terms.crop + terms.reach + op + 1;
  // Forward conv input sizes n with floor((n + 2P - D(K-1) - 1) / S) + 1 == I: n - low in 0..S-1.
  const low = total - op;
  const forward = [];
  for (let n = Math.max(low, 1); n < low + S; n++) forward.push([n, n - low]);
  const full = terms.spacing + terms.reach + 1; // the uncropped result of the scatter-add
  return { terms, total, valid: total >= 1, forward, full, I, K, S, P, D, op };
}

function codeLine(st) {
  const call =
    `torch.nn.ConvTranspose2d(1, 1, kernel_size=${st.K}, stride=${st.S}, padding=${st.P}, ` +
    `output_padding=${st.op}, dilation=${st.D})`;
  const sizes = `${st.I}x${st.I} -> `;
  return st.valid
    ? `${call}  # ${sizes}${st.total}x${st.total}`
    : `${call}  # ${sizes}RuntimeError: output size ${st.total} is too small`;
}

const signed = (v) => (v < 0 ? `− ${-v}` : `+ ${v}`);
const minus = (v) => (v < 0 ? `−${-v}` : String(v));

function renderOutputSize({ model, el }) {
  const frame = createExplorerFrame(el, {
    name: "output-size",
    title: "Output size of a transposed convolution, term by term",
    description:
      "Six sliders set the input size I, kernel size K, stride S, padding P, dilation D and output_padding of a " +
      "ConvTranspose2d. Below them, the formula O = (I−1)·S − 2P + D·(K−1) + output_padding + 1 shows each term " +
      "with its value; terms that add something are highlighted. A strip drawing shows the input cells S apart, " +
      "the kernel taps of the first input cell, and the output with the cropped cells. Then the forward Conv2d " +
      "input sizes that map to I, and a PyTorch line for this layer. Play adds the terms one at a time. The status " +
      "line says the result in words, or why a combination has no valid output.",
  });
  frame.root.classList.add("tc-os");
  const opLimits = model.get("output_padding_limits");
  const termInfo = model.get("terms"); // [key, symbol, meaning]
  const opLimit = (stride, dilation) => opLimits[stateKey({ stride, dilation })];
  // What the page shows for a setting, in the shape of Python's calculator_state.
  frame.root.tcCompute = (setting) => {
    const sizes = computeSizes(setting);
    return {
      terms: sizes.terms, total: sizes.total, output_size: sizes.valid ? sizes.total : null,
      output_padding_limit: opLimit(sizes.S, sizes.D), forward_sizes: sizes.forward, code: codeLine(sizes),
    };
  };

  const controls = {};
  for (const [trait, label] of OS_CONTROLS) {
    controls[trait] = traitControl(model, trait, label, { onChange: (v) => onSlider(trait, v) });
    frame.controls.append(controls[trait].el);
  }
  const opInput = controls.output_padding.el.querySelector("input");

  // Formula: "O =", the terms as a one-row grid (one focusable gridcell per term, the arrow keys
  // move between them), then "=" and the result.
  const termRow = h("div", { class: "tc-os-terms", role: "row" });
  const formula = h("div", { class: "tc-os-formula" }, [
    h("span", { class: "tc-os-lhs", text: "O =" }),
    h("div", { class: "tc-os-terms-grid", role: "grid", "aria-label": "output-size formula, term by term" }, termRow),
  ]);
  const termEls = {};
  termInfo.forEach(([key, symbol, meaning], index) => {
    const box = h("span", {
      class: "tc-os-term", role: "gridcell", "data-term": key,
      "data-grid": "formula", "data-row": 0, "data-col": index,
    }, [
      h("span", { class: "tc-os-symbol", text: symbol }),
      h("span", { class: "tc-os-subst" }),
      h("span", { class: "tc-os-tvalue", "data-role": "term-value" }),
      h("span", { class: "tc-os-meaning", text: meaning }),
    ]);
    termEls[key] = box;
    termRow.append(box);
  });
  const result = h("span", { class: "tc-os-result", "data-role": "output-size" });
  const running = h("span", { class: "tc-os-running", "data-role": "running-total" });
  formula.append(h("span", { class: "tc-os-lhs", text: "=" }), result, running);

  const player = createPlayer(frame, {
    text: "▶ Play: add the terms one by one",
    start: () => { playStep = -1; },
    step: () => nextStep(),
    paused: () => draw(),
  });
  player.button.classList.add("tc-os-play");

  const stripBox = h("div", { class: "tc-os-strip-box" });
  const swatch = (cls, text) => h("span", {}, [h("span", { class: `tc-os-cell ${cls}`, "aria-hidden": "true" }), text]);
  const legend = h("div", { class: "tc-os-legend", "aria-hidden": "true" }, [
    swatch("tc-os-input", "input cell (S apart)"),
    swatch("tc-os-kernel", "kernel tap of input cell 0"),
    swatch("tc-os-output", "output cell"),
    swatch("tc-os-output tc-os-extra", "kept by output_padding"),
    swatch("tc-os-cropped", "cropped by padding"),
  ]);
  const forwardHead = h("span", { class: "tc-os-forward-head" });
  const forwardList = h("span", { class: "tc-os-forward", "data-role": "forward-range" });
  const code = h("code", { class: "tc-os-code", "data-role": "code" });
  frame.body.append(
    h("div", { class: "tc-os-main" }, [
      formula,
      player.button,
      stripBox,
      legend,
      h("p", { class: "tc-os-forward-line" }, [forwardHead, forwardList]),
      h("div", { class: "tc-os-code-line" }, [h("span", { class: "tc-os-code-label", text: "PyTorch:" }), code]),
    ]),
  );

  const highlighter = createHighlighter();
  let st = null;
  let strip = null;
  let limitNote = "";
  let shown = {}; // control values last drawn
  let playStep = -1;


  function onSlider(trait, value) {
    // Moving stride or dilation down can push output_padding past PyTorch's limit: lower it in
    // the same change, so the model never holds a state PyTorch would refuse.
    model.set(trait, value);
    const limit = opLimit(model.get("stride"), model.get("dilation"));
    if (model.get("output_padding") > limit) model.set("output_padding", limit);
    model.save_changes();
  }

  // ---- drawing -------------------------------------------------------------------------------
  function drawStrip() {
    const width = st.full + Math.max(0, st.op - st.P);
    const cropRight = Math.max(0, st.full - st.P - Math.max(st.total, 0));
    const grid = h("div", {
      class: "tc-os-strip",
      role: "img",
      "aria-label":
        `One axis: ${st.I} input cell(s) ${st.S} apart; the ${st.K} kernel tap(s) of input cell 0, ${st.D} apart; ` +
        (st.valid
          ? `an output of ${st.total} cell(s), with ${Math.min(st.P, st.full)} position(s) cropped on the left and ${cropRight} on the right` +
            (st.op ? `, the last ${st.op} kept by output_padding.` : ".")
          : "no output: padding crops every position."),
      style: `--tc-os-n: ${width}`,
    });
    const label = (text, row) => h("span", { class: "tc-os-rowlabel", text, style: `grid-row: ${row}` });
    const cells = { input: [], kernel: [], output: [], cropped: [], extra: [], zero: [] };
    const place = (kind, row, col, pos, name, extraClass = "") => {
      const cell = h("span", {
        class: `tc-os-cell tc-os-${kind} ${extraClass}`,
        "data-grid": kind,
        "data-row": 0,
        "data-col": col,
        title: name, // the strip is one image for assistive technology: its cells carry no label
        style: `grid-row: ${row}; grid-column: ${pos + 2}`,
      });
      cells[kind].push(cell);
      grid.append(cell);
      return cell;
    };
    grid.append(label(`input (${st.I})`, 1), label(`kernel taps (${st.K})`, 2), label(st.valid ? `output (${st.total})` : "output (none)", 3));
    for (let i = 0; i < st.I; i++) place("input", 1, i, i * st.S, `input cell ${i}, at position ${i * st.S}`);
    for (let k = 0; k < st.K; k++) place("kernel", 2, k, k * st.D, `tap ${k} of the first input cell's kernel, at position ${k * st.D}`);
    const first = st.P;
    const end = st.P + Math.max(st.total, 0); // output occupies positions [P, P + O)
    for (let pos = 0; pos < width; pos++) {
      if (pos >= first && pos < end) {
        const o = pos - first;
        const isExtra = pos >= end - st.op;
        const beyond = pos >= st.full;
        const cell = place("output", 3, o, pos,
          `output cell ${o}` + (isExtra ? (beyond ? ", added by output_padding, always 0" : ", kept by output_padding (un-cropped)") : ""),
          isExtra ? "tc-os-extra" : "");
        if (isExtra) cells.extra.push(cell);
        if (beyond) cells.zero.push(cell);
      } else {
        place("cropped", 3, pos, pos, `position ${pos}: cropped by padding`);
      }
    }
    stripBox.replaceChildren(grid);
    return cells;
  }

  function termCells(key) {
    if (!strip) return [];
    if (key === "spacing") return strip.input;
    if (key === "reach") return strip.kernel;
    if (key === "crop") return strip.cropped;
    if (key === "output_padding") return strip.extra;
    return [];
  }

  function summary() {
    const t = st.terms;
    const sum = `${t.spacing} ${signed(t.crop)} ${signed(t.reach)} ${signed(t.output_padding)} + 1 = ${minus(st.total)}`;
    if (!st.valid) {
      return [
        `No valid output: the terms add up to ${sum}, and a size must be at least 1. PyTorch refuses this ` +
          `layer with a RuntimeError (output size too small). Lower the padding, or raise the input size, ` +
          `kernel size, stride or dilation.`,
        "error",
      ];
    }
    let text = `A ${st.I}×${st.I} input gives a ${st.total}×${st.total} output: ${sum}. `;
    if (st.forward.length) {
      const sizes = st.forward.map(([n]) => n);
      const which = st.forward.find(([n]) => n === st.total);
      text +=
        `A Conv2d with the same kernel size, stride, padding and dilation maps ` +
        `${sizes.length > 1 ? `each of the sizes ${sizes.join(", ")}` : `size ${sizes[0]}`} to ${st.I}` +
        (which
          ? `; output_padding ${st.op} gives back ${st.total}.`
          : `. output_padding ${st.op} is not below the stride ${st.S}: PyTorch accepts it because it is ` +
            `below the dilation ${st.D}, but ${st.total} is not one of those sizes.`);
    } else {
      text += `No Conv2d with these settings gives size ${st.I}: its padding makes every output larger.`;
    }
    if (st.op > 0) {
      const real = Math.min(st.op, st.P);
      text +=
        real === st.op
          ? ` The ${st.op} row(s) and column(s) that output_padding adds are un-cropped: they come from the full result, which padding would have trimmed.`
          : real > 0
            ? ` Of the ${st.op} row(s) and column(s) that output_padding adds, ${real} are un-cropped from the full result and ${st.op - real} lie past every kernel tap, so they are always 0.`
            : ` The ${st.op} row(s) and column(s) that output_padding adds lie past every kernel tap (padding is 0), so they are always 0.`;
    }
    return [text, "info"];
  }

  function setStatus(text, level) {
    frame.status.textContent = (limitNote ? limitNote + " " : "") + text;
    frame.status.setAttribute("data-level", level);
  }

  function litContributing(uptoIndex = termInfo.length - 1) {
    termInfo.forEach(([key], index) => {
      const on = index <= uptoIndex && st.terms[key] !== 0;
      if (on) termEls[key].setAttribute("data-lit", "");
      else termEls[key].removeAttribute("data-lit");
      termEls[key].classList.toggle("tc-os-zero-term", st.terms[key] === 0);
      termEls[key].classList.toggle("tc-os-pending", index > uptoIndex);
    });
  }

  function draw() {
    const c = currentSetting(model);
    const limit = opLimit(c.stride, c.dilation);
    // Note a change of PyTorch's output_padding limit (and a lowered output_padding) in the status.
    if (shown.stride !== undefined && opLimit(shown.stride, shown.dilation) !== limit) {
      const why = `PyTorch accepts output_padding only below the stride (${c.stride}) or below the dilation (${c.dilation}).`;
      limitNote =
        shown.output_padding > limit
          ? `output_padding went down from ${shown.output_padding} to ${limit}: ${why}`
          : limit === 0
            ? `output_padding is now fixed at 0: ${why}`
            : `output_padding can now go up to ${limit}: ${why}`;
    } else if (["input_size", "kernel_size", "padding"].some((t) => shown[t] !== undefined && shown[t] !== c[t])) {
      limitNote = "";
    }
    opInput.max = limit;
    for (const [trait] of OS_CONTROLS) controls[trait].set(c[trait]);
    shown = c;
    st = computeSizes({ ...c, output_padding: Math.min(c.output_padding, limit) });
    player.stop();
    for (const [key] of termInfo) {
      const [, subst, value] = termEls[key].children;
      subst.textContent = {
        spacing: `(${st.I}−1)·${st.S}`,
        crop: `−2·${st.P}`,
        reach: `${st.D}·(${st.K}−1)`,
        output_padding: `${st.op}`,
        one: "1",
      }[key];
      value.textContent = minus(st.terms[key]);
    }
    result.textContent = st.valid ? String(st.total) : "no valid output";
    result.toggleAttribute("data-error", !st.valid);
    running.textContent = "";
    forwardHead.textContent =
      `Conv2d(kernel_size=${st.K}, stride=${st.S}, padding=${st.P}, dilation=${st.D}) input sizes that map to ${st.I}: `;
    forwardList.replaceChildren(
      ...(st.forward.length
        ? st.forward.flatMap(([n, op], i) => {
            const item = h("span", { class: "tc-os-forward-size", "data-size": n, text: `${n} (output_padding=${op})` });
            if (st.valid && n === st.total) item.setAttribute("data-lit", "");
            return i ? [", ", item] : [item];
          })
        : ["none"]),
    );
    code.textContent = codeLine(st);
    strip = drawStrip();
    highlighter.clear();
    for (const [k] of termInfo) termEls[k].removeAttribute("data-source");
    litContributing();
    const [text, level] = summary();
    setStatus(text, level);
  }

  // ---- hover / focus on a term ---------------------------------------------------------------
  function explainTerm(key) {
    const t = st.terms;
    return {
      spacing: `Stride spacing (I−1)·S = (${st.I}−1)·${st.S} = ${t.spacing}: input cell i paints its kernel starting at position ${st.S}·i, so the first and last input cells start ${t.spacing} positions apart.`,
      crop: `Padding −2P = −2·${st.P} = ${t.crop ? `−${-t.crop}` : 0}: a transposed convolution's padding removes ${st.P} cell(s) from each side of the full result instead of adding any.`,
      reach: `Kernel reach D·(K−1) = ${st.D}·(${st.K}−1) = ${t.reach}: the last tap of a kernel lands ${t.reach} positions after its first` + (st.D > 1 ? `, because dilation ${st.D} spreads the ${st.K} taps apart.` : "."),
      output_padding: `output_padding = ${st.op}: keeps ${st.op} more row(s) and column(s) at the bottom and right only. PyTorch accepts values below the stride (${st.S}) or below the dilation (${st.D}).`,
      one: "+1: positions are counted from 0, so a result whose last position is n has n+1 cells.",
    }[key];
  }

  function onTerm(key) {
    if (player.playing) return;
    highlighter.set(termCells(key), null);
    for (const [k] of termInfo) termEls[k].toggleAttribute("data-source", k === key);
    setStatus(explainTerm(key), st.valid ? "info" : "error");
  }
  navigateCells(formula, [termInfo.map(([key]) => termEls[key])], (_, col) => onTerm(termInfo[col][0]));
  const leave = () => {
    if (player.playing) return;
    highlighter.clear();
    for (const [k] of termInfo) termEls[k].removeAttribute("data-source");
    const [text, level] = summary();
    setStatus(text, level);
  };
  formula.addEventListener("focusout", (e) => { if (!formula.contains(e.relatedTarget)) leave(); });

  // ---- play: add the terms one at a time -----------------------------------------------------
  function showStep() {
    const [key, symbol, meaning] = termInfo[playStep];
    const partial = termInfo.slice(0, playStep + 1).reduce((sum, [k]) => sum + st.terms[k], 0);
    litContributing(playStep);
    highlighter.set(termCells(key), null);
    for (const [k] of termInfo) termEls[k].toggleAttribute("data-source", k === key);
    running.textContent = `running total ${minus(partial)}`;
    const last = playStep === termInfo.length - 1;
    setStatus(
      `Step ${playStep + 1} of ${termInfo.length}: ${symbol} (${meaning}) adds ${minus(st.terms[key])}; running total ${minus(partial)}.` +
        (last ? (st.valid ? ` Done: the output is ${st.total}×${st.total}.` : ` Done: ${minus(st.total)} is not a valid size.`) : ""),
      last && !st.valid ? "error" : "info",
    );
  }

  // One step of Play; false once every term has been added.
  function nextStep() {
    playStep += 1;
    if (playStep >= termInfo.length) return false;
    showStep();
    return true;
  }

  wireExplorer({ model, frame, controls, draw, rest: leave });
  return () => player.stop();
}

export default { render: renderOutputSize };
