// OverlapExplorer: how many kernel taps of a transposed conv land on each output cell.
// The 1-D profile of every (K, S, D) comes precomputed from Python (ops.overlap_profile); the
// 2-D grid is its outer product with itself, which is what ops.overlap_counts returns (checked
// for every state by tests/test_browser_overlap.py). The verdict text comes from Python too.

function overlapShade(cell, value, max) {
  // 0 taps: a hole (neutral); otherwise mix from the pale to the strong output colour.
  if (value === 0) {
    cell.classList.add("tc-hole");
    return;
  }
  const share = max > 0 ? value / max : 0;
  const pct = Math.round(12 + 88 * share);
  cell.style.background = `color-mix(in srgb, var(--tc-output-fg) ${pct}%, var(--tc-output-bg))`;
  cell.style.color = pct > 50 ? "var(--tc-output-bg)" : "var(--tc-output-fg)";
}

function renderOverlap({ model, el }) {
  const frame = createExplorerFrame(el, {
    name: "overlap",
    title: "Overlap of a transposed convolution: how many kernel taps land on each output cell",
    description:
      "An input of ones is scattered through a kernel of ones by a transposed convolution. The overlap grid " +
      "shows, for every output cell, how many (input cell, kernel tap) pairs land on it, coloured by that count; " +
      "the strip below it is one row of the same counts, the 1-D profile. Edge cells are faded; the verdict says " +
      "whether the interior is uniform. Hover or focus a cell of the input to light its kernel window in the " +
      "output, or a cell of the overlap grid to light the input cells that reach it.",
  });
  const controls = {};
  for (const [trait, label] of [["kernel_size", "kernel size"], ["stride", "stride"], ["dilation", "dilation"]]) {
    controls[trait] = traitControl(model, trait, label);
    frame.controls.append(controls[trait].el);
  }
  const verdictEl = h("div", { class: "tc-verdict", "data-role": "verdict" });
  frame.root.insertBefore(verdictEl, frame.body);

  const highlighter = createHighlighter();
  let grids = null;
  let st = null;

  const summary = () => {
    const inner = st.profile.slice(st.first, st.last + 1);
    const values = [...new Set(inner.flatMap((a) => inner.map((b) => a * b)))].sort((a, b) => a - b);
    return (
      `A ${st.n}×${st.n} input of ones, a ${st.K}×${st.K} kernel of ones, stride ${st.S}, dilation ${st.D}: ` +
      `a ${st.m}×${st.m} output. Interior counts (rows and columns ${st.first}–${st.last}): ` +
      `${values.join(", ")}. Hover or focus a cell.`
    );
  };

  // Output positions of input i's taps along one axis, and the inputs that reach output p.
  const taps = (i) => [...Array(st.K).keys()].map((k) => i * st.S + k * st.D).filter((p) => p < st.m);
  const feeders = (p) =>
    [...Array(st.K).keys()]
      .map((k) => p - k * st.D)
      .filter((q) => q >= 0 && q % st.S === 0 && q / st.S < st.n)
      .map((q) => q / st.S);

  const onInput = (r, c) => {
    const rows = taps(r);
    const cols = taps(c);
    highlighter.set(rows.flatMap((y) => cols.map((x) => grids.overlap.cell(y, x))), grids.input.cell(r, c));
    frame.status.textContent =
      `Input (${r},${c}) scatters its ${st.K}×${st.K} kernel window onto output rows ${rows.join(", ")} ` +
      `and columns ${cols.join(", ")}: neighbouring inputs start ${st.S} cell${st.S === 1 ? "" : "s"} apart ` +
      `(the stride) and neighbouring taps land ${st.D} cell${st.D === 1 ? "" : "s"} apart (the dilation).`;
  };

  const onOverlap = (r, c) => {
    const rows = feeders(r);
    const cols = feeders(c);
    highlighter.set(rows.flatMap((y) => cols.map((x) => grids.input.cell(y, x))), grids.overlap.cell(r, c));
    const count = st.profile[r] * st.profile[c];
    const edge = r < st.first || r > st.last || c < st.first || c > st.last;
    frame.status.textContent =
      `Output (${r},${c}) gets ${count} tap${count === 1 ? "" : "s"}: ${st.profile[r]} along its row axis × ` +
      `${st.profile[c]} along its column axis` +
      (count ? `, from input rows ${rows.join(", ")} and columns ${cols.join(", ")}.` : ": no kernel tap lands here, a hole.") +
      (edge ? " It is an edge cell: fewer taps reach the border whatever K and S are." : "");
  };

  const onProfile = (r, c) => {
    highlighter.set(st.profile.map((_, y) => grids.overlap.cell(y, c)), grids.profile.cell(r, c));
    const from = feeders(c);
    frame.status.textContent =
      `Profile position ${c}: ${st.profile[c]} tap${st.profile[c] === 1 ? "" : "s"} along one axis, from input ` +
      `position${from.length === 1 ? "" : "s"} ${from.join(", ") || "(none)"}. Column ${c} of the grid is this ` +
      `count times the row's count.`;
  };

  const draw = () => {
    const { kernel_size: K, stride: S, dilation: D } = currentSetting(model);
    const data = currentState(model);
    const profile = data.profile;
    st = { K, S, D, n: data.n, profile, m: profile.length, first: D * (K - 1), last: (data.n - 1) * S };
    const counts = profile.map((a) => profile.map((b) => a * b));
    const max = Math.max(...counts.flat());
    const ones = [...Array(st.n)].map(() => Array(st.n).fill(1));
    grids = {
      input: buildGrid({ name: "input", values: ones, kind: "input",
        caption: `input (${st.n}×${st.n}, all ones)`, onEnter: onInput }),
      overlap: buildGrid({ name: "overlap", values: counts, kind: "output",
        caption: `overlap counts (${st.m}×${st.m}); faded = edge`, onEnter: onOverlap }),
      profile: buildGrid({ name: "profile", values: [profile], kind: "output",
        caption: "1-D profile: taps per position along one axis", onEnter: onProfile }),
    };
    const inside = (i) => i >= st.first && i <= st.last;
    counts.forEach((row, r) => row.forEach((v, c) => {
      const cell = grids.overlap.cell(r, c);
      overlapShade(cell, v, max);
      if (!(inside(r) && inside(c))) cell.classList.add("tc-edge");
    }));
    const pmax = Math.max(...profile);
    profile.forEach((v, c) => {
      const cell = grids.profile.cell(0, c);
      overlapShade(cell, v, pmax);
      if (!inside(c)) cell.classList.add("tc-edge");
      cell.style.setProperty("--tc-bar", pmax ? v / pmax : 0);
    });
    grids.overlap.el.classList.add("tc-overlap-grid");
    grids.profile.el.classList.add("tc-profile-strip");
    frame.body.replaceChildren(grids.input.el, h("span", { class: "tc-op", text: "→" }),
      h("div", { class: "tc-overlap-stack" }, [grids.overlap.el, grids.profile.el]));
    verdictEl.setAttribute("data-verdict", data.uniform ? "uniform" : "uneven");
    verdictEl.textContent = `${data.uniform ? "Uniform" : "Uneven"} interior: ${data.reason}.`;
    frame.status.textContent = summary();
  };

  wireExplorer({ model, frame, controls, draw, rest: restingView(frame, highlighter, summary) });
}

export default { render: renderOverlap };
