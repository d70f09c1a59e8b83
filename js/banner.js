// The banner over a view whose kernel is gone (`gd-disconnected`): it says so, says how to get the
// widget back, and disables every control under it until the kernel is back.

import { h } from "./dom.js";

export const DISCONNECTED_TEXT = "The kernel behind this widget is gone (restarted or shut down).";
export const DISCONNECTED_HINT = "Re-run the cell to bring the Playground back.";

const CONTROLS = "button, input, select, textarea";

/**
 * Build the banner for `root` (the view's outer element) and keep it in step with
 * `store.connection`. Returns `{el, update, destroy}`; `el` goes inside `root`.
 */
export function createDisconnectedBanner(store, root) {
  const el = h("div", { class: "gd-disconnected", "data-testid": "gd-disconnected", role: "alert", hidden: true }, [
    h("strong", { text: DISCONNECTED_TEXT }),
    h("span", { text: ` ${DISCONNECTED_HINT}` }),
  ]);
  let off = false; // the controls are disabled by us

  function update() {
    const connected = store.connection ? store.connection.connected() : true;
    el.hidden = connected;
    root.classList.toggle("gd-off", !connected);
    if (!connected && !off) {
      for (const c of root.querySelectorAll(CONTROLS)) {
        if (c.disabled) continue;
        c.disabled = true;
        c.dataset.gdOff = "1";
      }
      off = true;
    } else if (connected && off) {
      for (const c of root.querySelectorAll(CONTROLS)) {
        if (c.dataset.gdOff !== "1") continue;
        c.disabled = false;
        delete c.dataset.gdOff;
      }
      off = false;
    }
    if (!connected) root.dataset.disconnected = "";
    else delete root.dataset.disconnected;
  }

  const unsub = store.events.on("connection", update);
  return {
    el,
    update,
    destroy() {
      unsub();
    },
  };
}
