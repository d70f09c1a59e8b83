// The tooltip over the landscape (`gd-hover`): the run under the pointer, with its step, point
// and loss at the nearest held row.

import { h } from "./dom.js";
import { runInfo } from "./paths.js";
import { formatNumber } from "./scales.js";

/** The tooltip's text for row i of run r: "adam · step 120 · (0.512, 0.261) · loss 0.238". */
export function hoverText(meta, runs, r, i) {
  const { label } = runInfo(meta, r);
  const x = formatNumber(runs.x[r][i], 4);
  const y = formatNumber(runs.y[r][i], 4);
  return `${label} · step ${runs.steps[i]} · (${x}, ${y}) · loss ${formatNumber(runs.loss[r][i], 4)}`;
}

/** The tooltip element; `show(text, x, y, color)` near (x, y) px inside a `width` wide box, `hide()`. */
export function createHoverTip(width) {
  const el = h("div", { class: "gd-hover", "data-testid": "gd-hover", role: "tooltip", hidden: true });
  return {
    el,
    show(text, x, y, color, data = {}) {
      el.textContent = text;
      el.style.borderColor = color;
      // right of the pointer, or left of it near the right edge
      const right = x > width * 0.6;
      el.style.left = right ? "" : `${Math.round(x + 12)}px`;
      el.style.right = right ? `${Math.round(width - x + 12)}px` : "";
      el.style.top = `${Math.round(y + 12)}px`;
      Object.assign(el.dataset, data);
      el.hidden = false;
    },
    hide() {
      el.hidden = true;
    },
  };
}
