// Shared toolkit for every explorer (prepended to each explorer's own script).
// It implements the DOM contract of ARCHITECTURE.md: data-explorer on the root,
// data-grid/data-row/data-col on cells, data-lit on highlighted cells, one
// aria-live status line, and native labelled controls mirrored by traitlets.

function h(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of [].concat(children)) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

let explorerCounter = 0;

// The frame every explorer shares: title, hidden description for screen
// readers, a controls row, a body for the grids, and the status line.
function createExplorerFrame(el, { name, title, description }) {
  explorerCounter += 1;
  const descriptionId = `tc-${name}-desc-${explorerCounter}`;
  const root = h("div", {
    class: "tc-explorer",
    "data-explorer": name,
    role: "group",
    "aria-label": title,
    "aria-describedby": descriptionId,
  });
  const heading = h("div", { class: "tc-title", text: title });
  const describe = h("p", { class: "tc-sr-only", id: descriptionId, text: description });
  const controls = h("div", { class: "tc-controls" });
  const body = h("div", { class: "tc-body" });
  const status = h("div", {
    class: "tc-status",
    "data-role": "status",
    role: "status",
    "aria-live": "polite",
  });
  root.append(heading, describe, controls, body, status);
  el.replaceChildren(root);
  return { root, controls, body, status };
}

// A native range input with a visible value; `onChange` receives an integer.
function rangeControl({ label, min, max, value, onChange }) {
  const input = h("input", { type: "range", min, max, step: 1, value, "aria-label": label });
  const shown = h("output", { class: "tc-value", text: value });
  input.addEventListener("input", () => {
    shown.textContent = input.value;
    onChange(Number(input.value));
  });
  const wrapper = h("label", { class: "tc-control" }, [h("span", { text: label }), input, shown]);
  return {
    el: wrapper,
    set(v) {
      input.value = v;
      shown.textContent = v;
    },
  };
}

// A native select; `options` is a list of [value, text] pairs.
function selectControl({ label, options, value, onChange }) {
  const select = h("select", { "aria-label": label });
  for (const [optionValue, text] of options) {
    select.append(h("option", { value: optionValue, text }));
  }
  select.value = value;
  select.addEventListener("change", () => onChange(select.value));
  const wrapper = h("label", { class: "tc-control" }, [h("span", { text: label }), select]);
  return {
    el: wrapper,
    set(v) {
      select.value = v;
    },
  };
}

// A native button with a visible text and an aria-label naming its action.
function buttonControl(label, text, onClick = null) {
  const button = h("button", { type: "button", class: "tc-button", "aria-label": label, text });
  if (onClick) button.addEventListener("click", onClick);
  return button;
}

// "(row,col)" of the cell at flat index `index` of a grid `size` cells wide.
function cellName(index, size) {
  return `(${Math.floor(index / size)},${index % size})`;
}

function formatNumber(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

const ARROW_MOVES = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
const clamp = (value, low, high) => Math.min(high, Math.max(low, value));

// Hover, focus and the arrow keys over the cells of a grid, a bar chart or a formula: `cells` is
// rows of elements carrying data-row/data-col inside `container`. Pointing at a cell or focusing
// it calls onEnter(row, col); the arrow keys move focus between cells, and only one cell is in
// the Tab order (a roving tabindex), so Tab enters the grid once.
function navigateCells(container, cells, onEnter) {
  cells.forEach((row, r) => row.forEach((cell, c) => cell.setAttribute("tabindex", r || c ? -1 : 0)));
  const locate = (target) => {
    const cell = target.closest && target.closest("[data-row][data-col]");
    return cell && container.contains(cell) ? [Number(cell.dataset.row), Number(cell.dataset.col)] : null;
  };
  const enter = (event) => {
    const at = locate(event.target);
    if (at) onEnter(at[0], at[1]);
  };
  container.addEventListener("pointerover", enter);
  container.addEventListener("focusin", enter);
  container.addEventListener("keydown", (event) => {
    const at = locate(event.target);
    const move = ARROW_MOVES[event.key];
    if (!at || !move) return;
    event.preventDefault();
    const r = clamp(at[0] + move[0], 0, cells.length - 1);
    const c = clamp(at[1] + move[1], 0, cells[r].length - 1);
    cells[at[0]][at[1]].setAttribute("tabindex", "-1");
    cells[r][c].setAttribute("tabindex", "0");
    cells[r][c].focus();
  });
}

// A grid of cells (role grid, rows of gridcells), navigated by navigateCells.
function buildGrid({ name, values, caption, kind, rowHeaders = null, colHeaders = null, onEnter }) {
  const rows = values.length;
  const cols = rows ? values[0].length : 0;
  const table = h("div", {
    class: `tc-grid tc-kind-${kind}`,
    role: "grid",
    "aria-label": caption,
    style: `--tc-cols: ${cols + (rowHeaders ? 1 : 0)}`,
  });
  const cells = [];
  if (colHeaders) {
    const headerRow = h("div", { role: "row", class: "tc-row" });
    if (rowHeaders) headerRow.append(h("span", { class: "tc-header", role: "columnheader" }));
    for (const text of colHeaders) {
      headerRow.append(h("span", { class: "tc-header", role: "columnheader", text }));
    }
    table.append(headerRow);
  }
  for (let r = 0; r < rows; r++) {
    const rowEl = h("div", { role: "row", class: "tc-row" });
    if (rowHeaders) rowEl.append(h("span", { class: "tc-header", role: "rowheader", text: rowHeaders[r] }));
    const rowCells = [];
    for (let c = 0; c < cols; c++) {
      const cell = h("span", {
        class: "tc-cell",
        role: "gridcell",
        "data-grid": name,
        "data-row": r,
        "data-col": c,
        text: formatNumber(values[r][c]),
      });
      if (values[r][c] === 0) cell.classList.add("tc-zero");
      rowCells.push(cell);
      rowEl.append(cell);
    }
    cells.push(rowCells);
    table.append(rowEl);
  }
  navigateCells(table, cells, onEnter);
  const wrapper = h("figure", { class: `tc-grid-figure tc-kind-${kind}` }, [
    h("figcaption", { class: "tc-caption", text: caption }),
    h("div", { class: "tc-grid-scroll" }, table),
  ]);
  return { el: wrapper, cells, cell: (r, c) => cells[r][c] };
}

// Keeps track of lit cells so a new highlight clears the previous one cheaply.
function createHighlighter() {
  let lit = [];
  return {
    set(cells, source = null) {
      for (const cell of lit) {
        cell.removeAttribute("data-lit");
        cell.removeAttribute("data-source");
      }
      lit = cells.slice();
      for (const cell of lit) cell.setAttribute("data-lit", "");
      if (source) {
        source.setAttribute("data-lit", "");
        source.setAttribute("data-source", "");
        lit.push(source);
      }
    },
    clear() {
      this.set([]);
    },
  };
}

// The key of a precomputed state, as Python's widgets._base.key builds it: the values of a
// setting ({control: value}, in the order of the explorer's controls) joined by "|".
function stateKey(setting) {
  return Object.values(setting).join("|");
}

// The controls' names in the order the explorer declares them ("limits" is a dict, and a stored
// notebook sorts a dict's keys, so its order cannot be trusted).
function controlNames(model) {
  return model.get("control_order");
}

// The controls' current values, {control: value}, in the order the explorer declares them.
function currentSetting(model) {
  return Object.fromEntries(controlNames(model).map((name) => [name, model.get(name)]));
}

// The precomputed state of the controls' current values.
function currentState(model) {
  return model.get("states")[stateKey(currentSetting(model))];
}

// A control bound to its trait, built from the explorer's table (the model's "limits"): a slider
// for a range [low, high], a menu for a list of choices (`names` gives their visible text).
function traitControl(model, trait, label, { names = {}, onChange = (v) => setTrait(model, trait, v) } = {}) {
  const spec = model.get("limits")[trait];
  const value = model.get(trait);
  if (typeof spec[0] === "number") return rangeControl({ label, min: spec[0], max: spec[1], value, onChange });
  return selectControl({ label, options: spec.map((choice) => [choice, names[choice] ?? choice]), value, onChange });
}

// The one hover recorder: the cell last pointed at or focused (a cell in the Tab order of a
// grid, bar chart or formula) goes to Python's "hovered" trait as {grid, row, col}, with its
// channel where its grid has channels.
function recordHovers(model, root) {
  const record = (event) => {
    const cell = event.target.closest && event.target.closest("[data-grid][tabindex]");
    if (!cell || !root.contains(cell)) return;
    const { grid, row, col, channel } = cell.dataset;
    const hovered = { grid, row: Number(row), col: Number(col) };
    if (channel !== undefined) hovered.channel = Number(channel);
    setTrait(model, "hovered", hovered);
  };
  root.addEventListener("pointerover", record);
  root.addEventListener("focusin", record);
}

// Milliseconds between two steps of each animated explorer's Play.
const PLAY_TEMPO_MS = { "scatter-add": 900, "output-size": 700, "zero-insertion": 300 };

// The one Play/Pause toggle. Play calls start(), then step() at once and again at the
// explorer's tempo until step() returns false or the reader presses Pause (then paused() runs).
// aria-pressed says whether it plays, and the explorer's root carries data-playing meanwhile.
function createPlayer(frame, { text = "▶ Play", start = () => {}, step, paused = () => {} }) {
  const button = buttonControl("play", text);
  const tempo = PLAY_TEMPO_MS[frame.root.dataset.explorer];
  let timer = null;
  const show = (playing) => {
    button.setAttribute("aria-pressed", String(playing));
    button.textContent = playing ? "❚❚ Pause" : text;
    frame.root.toggleAttribute("data-playing", playing);
  };
  const tick = () => {
    if (!step()) player.stop();
  };
  const player = {
    button,
    get playing() {
      return timer !== null;
    },
    play() {
      if (timer !== null) return;
      start();
      show(true);
      timer = setInterval(tick, tempo);
      tick();
    },
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      show(false);
    },
  };
  button.addEventListener("click", () => {
    if (!player.playing) return player.play();
    player.stop();
    paused();
  });
  show(false);
  return player;
}

// Every explorer's wiring: hovers recorded for Python; a redraw when a control's trait (or one
// of `redrawOn`) changes, from the page or from Python; the resting view back (`rest`) when the
// pointer leaves the figure; and the first drawing.
function wireExplorer({ model, frame, controls = {}, redrawOn = [], draw, rest = null }) {
  recordHovers(model, frame.root);
  if (rest) frame.body.addEventListener("pointerleave", rest);
  for (const [trait, control] of Object.entries(controls)) {
    model.on(`change:${trait}`, () => {
      control.set(model.get(trait));
      draw();
    });
  }
  for (const trait of redrawOn) model.on(`change:${trait}`, draw);
  draw();
}

// The resting view of most explorers: nothing lit, and the summary in the status line.
function restingView(frame, highlighter, summary) {
  return () => {
    highlighter.clear();
    frame.status.textContent = summary();
  };
}

function setTrait(model, trait, value) {
  model.set(trait, value);
  model.save_changes();
}
