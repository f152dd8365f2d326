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

function formatNumber(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

// A grid of cells. Hover and focus both call `onEnter(row, col)`; arrow keys
// move focus (roving tabindex, so Tab enters the grid once).
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
        tabindex: r === 0 && c === 0 ? 0 : -1,
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
  const locate = (target) => {
    const cell = target.closest && target.closest(".tc-cell");
    return cell && table.contains(cell) ? [Number(cell.dataset.row), Number(cell.dataset.col)] : null;
  };
  table.addEventListener("pointerover", (event) => {
    const at = locate(event.target);
    if (at) onEnter(at[0], at[1]);
  });
  table.addEventListener("focusin", (event) => {
    const at = locate(event.target);
    if (at) onEnter(at[0], at[1]);
  });
  table.addEventListener("keydown", (event) => {
    const at = locate(event.target);
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (!at || !moves[event.key]) return;
    event.preventDefault();
    const r = Math.min(rows - 1, Math.max(0, at[0] + moves[event.key][0]));
    const c = Math.min(cols - 1, Math.max(0, at[1] + moves[event.key][1]));
    cells[at[0]][at[1]].setAttribute("tabindex", "-1");
    cells[r][c].setAttribute("tabindex", "0");
    cells[r][c].focus();
  });
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

// A range input bound to an integer trait; its limits come from the model's "limits"
// (Explorer.control_limits() in Python, so the slider and the trait accept the same values).
function traitRange(model, trait, label) {
  const [min, max] = model.get("limits")[trait];
  return rangeControl({ label, min, max, value: model.get(trait), onChange: (v) => setTrait(model, trait, v) });
}

// Re-draw when any control's trait changes (from the page or from Python), clear the
// highlight when the pointer leaves the grids, and draw the first time.
function wireExplorer({ model, frame, controls, highlighter, draw, summary }) {
  frame.body.addEventListener("pointerleave", () => {
    highlighter.clear();
    frame.status.textContent = summary();
  });
  for (const [trait, control] of Object.entries(controls)) bindControl(model, trait, control, draw);
  draw();
}

// Mirror a model trait into a control and re-render on change, from either side.
function bindControl(model, trait, control, rerender) {
  model.on(`change:${trait}`, () => {
    control.set(model.get(trait));
    rerender();
  });
}

function setTrait(model, trait, value) {
  model.set(trait, value);
  model.save_changes();
}
