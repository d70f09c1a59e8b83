// A race without code (`gd-picker`, closed at first): the function picker (`gd-function`: the
// test functions, or an expression typed in `gd-function-expr`), the "add optimizer" menu
// (`gd-add-optimizer` with its rate), a remove button per optimizer (`gd-remove-<label>`) and
// the start swarm (`gd-swarm-n` starts a side, `gd-swarm-kind` grid or random, `gd-swarm-apply`).
// Each sends one message (gdwidget/live/picker.py); what the kernel refuses comes back in the
// `picker` trait's `error`, shown in `gd-picker-error`.

import { h } from "./dom.js";

const EXPRESSION = "__expression__";

/** The picker panel of one view. Returns `{el, destroy}`. */
export function createPicker(store) {
  const model = store.model;
  const send = (msg) => store.send(msg);
  const fn = h("select", { class: "gd-select", "data-testid": "gd-function", "aria-label": "function to minimize" });
  const expr = h("input", {
    type: "text",
    class: "gd-expr",
    "data-testid": "gd-function-expr",
    placeholder: "x**2 + 3*sin(y)",
    "aria-label": "an expression in x and y",
    spellcheck: "false",
  });
  const sendExpr = () => send({ type: "set_function", expression: expr.value });
  const exprGo = h("button", { type: "button", class: "gd-btn", "data-testid": "gd-function-apply", text: "use", on: { click: sendExpr } });
  expr.addEventListener("keydown", (ev) => ev.key === "Enter" && sendExpr());
  const exprRow = h("span", { class: "gd-picker-expr", hidden: true }, [expr, exprGo]);
  fn.addEventListener("change", () => {
    exprRow.hidden = fn.value !== EXPRESSION;
    if (fn.value === EXPRESSION) expr.focus();
    else send({ type: "set_function", name: fn.value });
  });

  const opt = h("select", { class: "gd-select", "data-testid": "gd-add-optimizer", "aria-label": "optimizer to add" });
  const lr = h("input", { type: "number", class: "gd-add-lr", "data-testid": "gd-add-lr", step: "any", min: "0", "aria-label": "its learning rate" });
  opt.addEventListener("change", () => (lr.value = String(model.get("picker")?.optimizers?.[opt.value] ?? "")));
  const add = h("button", {
    type: "button",
    class: "gd-btn",
    "data-testid": "gd-add-optimizer-go",
    text: "add",
    on: { click: () => send({ type: "add_optimizer", optimizer: opt.value, lr: Number(lr.value) }) },
  });
  const removes = h("span", { class: "gd-picker-runs" });
  const swarmN = h("input", { type: "number", class: "gd-swarm-n", "data-testid": "gd-swarm-n", min: "1", step: "1", value: "3", "aria-label": "starts a side" });
  const swarmKind = h("select", { class: "gd-select", "data-testid": "gd-swarm-kind", "aria-label": "how the starts are spread" }, [
    h("option", { value: "grid", text: "grid" }),
    h("option", { value: "random", text: "random" }),
  ]);
  let swarmSeed = 0; // each random swarm a new draw
  const swarmGo = h("button", {
    type: "button",
    class: "gd-btn",
    "data-testid": "gd-swarm-apply",
    text: "apply",
    title: "every optimizer from n × n starts (1: the single start)",
    on: {
      click: () => {
        const kind = swarmKind.value || "grid";
        const seed = kind === "random" ? swarmSeed++ : 0;
        send({ type: "set_swarm", n: Number(swarmN.value), kind, seed });
      },
    },
  });
  const error = h("div", { class: "gd-error gd-picker-error", "data-testid": "gd-picker-error", role: "alert" });

  const el = h("details", { class: "gd-picker", "data-testid": "gd-picker" }, [
    h("summary", { text: "race setup" }),
    h("div", { class: "gd-picker-row" }, [h("span", { class: "gd-muted", text: "function" }), fn, exprRow]),
    h("div", { class: "gd-picker-row" }, [h("span", { class: "gd-muted", text: "add" }), opt, lr, add]),
    h("div", { class: "gd-picker-row" }, [h("span", { class: "gd-muted", text: "remove" }), removes]),
    h("div", { class: "gd-picker-row" }, [h("span", { class: "gd-muted", text: "swarm" }), swarmN, h("span", { class: "gd-muted", text: "× n" }), swarmKind, swarmGo]),
    error,
  ]);

  function syncOffer() {
    const offer = model.get("picker") ?? {};
    const names = Array.isArray(offer.functions) ? offer.functions : [];
    const key = JSON.stringify([names, Object.keys(offer.optimizers ?? {})]);
    if (el.dataset.offer !== key) {
      el.dataset.offer = key;
      fn.replaceChildren(...names.map((n) => h("option", { value: n, text: n.replaceAll("_", " ") })), h("option", { value: EXPRESSION, text: "expression…" }));
      opt.replaceChildren(...Object.keys(offer.optimizers ?? {}).map((n) => h("option", { value: n, text: n })));
      lr.value = String(offer.optimizers?.[opt.value] ?? "");
    }
    error.textContent = offer.error ?? "";
    error.hidden = !offer.error;
  }
  function syncRace() {
    const meta = model.get("meta") ?? {};
    // the race's function, unless an expression is being typed
    if (meta.objective && document.activeElement !== expr) {
      const named = [...fn.options].some((o) => o.value === meta.objective);
      fn.value = named ? meta.objective : EXPRESSION;
      exprRow.hidden = named;
      if (!named) expr.value = meta.objective;
    }
    const groups = Array.isArray(meta.groups) ? meta.groups.map((g) => String(g.label)) : [];
    removes.replaceChildren(
      ...groups.map((label) =>
        h("button", {
          type: "button",
          class: "gd-btn gd-remove",
          "data-testid": `gd-remove-${label}`,
          title: `take ${label} out of the race`,
          text: `× ${label}`,
          disabled: groups.length < 2,
          on: { click: () => send({ type: "remove_optimizer", label }) },
        }),
      ),
    );
  }
  syncOffer();
  syncRace();
  const offs = [store.events.on("meta", syncRace), store.events.on("meta-values", syncRace)];
  model.on("change:picker", syncOffer);
  return {
    el,
    destroy() {
      for (const off of offs) off();
      model.off("change:picker", syncOffer);
    },
  };
}
