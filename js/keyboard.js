// Keyboard shortcuts while the widget has focus: space play/pause, → one step, ← one step back
// (clicks the time-travel `gd-step-back` where the page has it), r reset. No plain key pressed
// inside the widget reaches the notebook: in JupyterLab's command mode `r` would otherwise turn
// the cell into a raw cell, space would scroll and the arrows would move between cells.

const TYPING = new Set(["INPUT", "SELECT", "TEXTAREA"]);

/** Whether a key goes to a text field (then it types, and no shortcut acts). */
export function isTyping(target) {
  if (!target) return false;
  if (target.isContentEditable) return true;
  if (!TYPING.has(target.tagName)) return false;
  // a range or a checkbox takes no letters: shortcuts still act there, except its own arrows
  const type = String(target.type ?? "").toLowerCase();
  return target.tagName !== "INPUT" || !["range", "checkbox", "button", "radio"].includes(type);
}

/** The shortcut of a keydown: "toggle" (play/pause), "step", "back", "reset" or null. */
export function shortcut(ev) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey || isTyping(ev.target)) return null;
  const type = String(ev.target?.type ?? "").toLowerCase();
  if (type === "range" && (ev.key === "ArrowLeft" || ev.key === "ArrowRight")) return null;
  if (ev.key === " " || ev.key === "Spacebar") return "toggle";
  if (ev.key === "ArrowRight") return "step";
  if (ev.key === "ArrowLeft") return "back";
  if (ev.key === "r" || ev.key === "R") return ev.shiftKey ? null : "reset";
  return null;
}

/** Whether a keydown inside the widget must stay there (every key but Escape and chords). */
export function keepsKey(ev) {
  return !(ev.ctrlKey || ev.metaKey || ev.altKey || ev.key === "Escape" || (ev.shiftKey && ev.key === "Enter"));
}

/**
 * Shortcuts on `root` (made focusable); `store.send` takes the messages, `store.model` says
 * whether it is running. Returns `{destroy}`.
 */
export function installKeyboard(store, root) {
  if (!root.hasAttribute("tabindex")) root.setAttribute("tabindex", "0");
  // JupyterLab (Lumino 2) does not run its shortcuts for keys from inside such an element
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  const actions = {
    toggle: () => store.send({ type: store.model.get("running") ? "pause" : "play" }),
    step: () => store.send({ type: "step", n: 1 }),
    back: () => {
      const btn = root.querySelector('[data-testid="gd-step-back"]');
      if (btn && !btn.disabled) btn.click();
    },
    reset: () => store.send({ type: "reset", start: null }),
  };
  function onKeydown(ev) {
    const act = shortcut(ev);
    if (act) {
      ev.preventDefault(); // space would scroll the page, or press the focused button twice
      actions[act]();
    }
    if (act || keepsKey(ev)) ev.stopPropagation();
  }
  // a focused button would click on the space's keyup as well: keep that press for the shortcut
  function onKeyup(ev) {
    if (shortcut(ev) === "toggle") ev.preventDefault();
    if (keepsKey(ev)) ev.stopPropagation();
  }
  root.addEventListener("keydown", onKeydown);
  root.addEventListener("keyup", onKeyup);
  return {
    destroy() {
      root.removeEventListener("keydown", onKeydown);
      root.removeEventListener("keyup", onKeyup);
    },
  };
}
