// QuickCheck: a multiple-choice question. The question, every option and the reason each one is
// right or wrong come from Python (model "data"); the page only shows them, so it works without a
// kernel. The chosen option is the synced trait "chosen" (-1 before any choice).

const QC_LETTERS = "ABCDEFGH";

function renderQuickCheck({ model, el }) {
  const data = model.get("data");
  const frame = createExplorerFrame(el, {
    name: "quick-check",
    title: `Quick check: section ${data.section}`,
    description:
      "A multiple-choice question. Choose an option with its button; the feedback below then says " +
      "whether it is right and explains every option. The reset button clears the choice.",
  });
  const prompt = h("p", { class: "tc-qc-prompt", text: data.prompt });
  const list = h("div", { class: "tc-qc-options", role: "group", "aria-label": "options" });
  const buttons = data.options.map((option, i) => {
    const button = h("button", {
      type: "button",
      class: "tc-button tc-qc-option",
      "data-role": "option",
      "data-index": i,
      "aria-pressed": "false",
      text: `${QC_LETTERS[i]}. ${option.text}`,
    });
    button.addEventListener("click", () => setTrait(model, "chosen", i));
    list.append(button);
    return button;
  });
  const feedback = h("div", { class: "tc-qc-feedback", "data-role": "feedback" });
  const reset = buttonControl("reset", "Reset", () => setTrait(model, "chosen", -1));
  frame.controls.append(reset);
  frame.body.append(h("div", { class: "tc-qc" }, [prompt, list, feedback]));

  const draw = () => {
    const chosen = model.get("chosen");
    buttons.forEach((button, i) => {
      const picked = i === chosen;
      button.setAttribute("aria-pressed", String(picked));
      if (chosen >= 0) button.dataset.verdict = data.options[i].correct ? "right" : "wrong";
      else delete button.dataset.verdict;
      if (picked) button.setAttribute("data-lit", "");
      else button.removeAttribute("data-lit");
    });
    reset.disabled = chosen < 0;
    if (chosen < 0) {
      feedback.replaceChildren();
      delete feedback.dataset.verdict;
      frame.status.textContent = `Choose one of the ${data.options.length} options.`;
      return;
    }
    const option = data.options[chosen];
    const verdict = option.correct ? "right" : "wrong";
    feedback.dataset.verdict = verdict;
    const others = data.options
      .map((o, i) => [o, i])
      .filter(([, i]) => i !== chosen)
      .map(([o, i]) =>
        h("li", { "data-index": i, "data-verdict": o.correct ? "right" : "wrong" }, [
          h("strong", { text: `${QC_LETTERS[i]} (${o.correct ? "right" : "wrong"}): ` }),
          o.why,
        ]));
    feedback.replaceChildren(
      h("p", { class: "tc-qc-verdict", "data-index": chosen }, [
        h("strong", { text: `${QC_LETTERS[chosen]} is ${verdict}. ` }),
        option.why,
      ]),
      h("p", { class: "tc-qc-others-title", text: "The other options:" }),
      h("ul", { class: "tc-qc-others" }, others),
    );
    frame.status.textContent = `You chose ${QC_LETTERS[chosen]}: ${verdict}.` +
      (option.correct ? "" : " Try another option, or read why each one is right or wrong below.");
  };

  wireExplorer({ model, frame, redrawOn: ["chosen"], draw });
}

export default { render: renderQuickCheck };
