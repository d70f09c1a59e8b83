// A read-only stand-in for the anywidget model, built from a replay's data, so that the
// Playground's views (landscape, legend, loss, evals) draw a recorded race unchanged. Only the
// replay's player changes its values (`set`); `send` goes nowhere: there is no kernel.

export function createReplayModel(values) {
  const state = new Map(Object.entries(values));
  const listeners = new Map();
  return {
    get: (name) => state.get(name),
    /** The player's way to move the replay on; fires `change:<name>` as ipywidgets would. */
    set(name, value) {
      state.set(name, value);
      for (const fn of [...(listeners.get(`change:${name}`) ?? [])]) fn();
    },
    on(event, fn) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event).add(fn);
    },
    off(event, fn) {
      listeners.get(event)?.delete(fn);
    },
    send() {},
    save_changes() {},
  };
}

/** The model's first values: the Playground's traits as the kernel would have set them. */
export function initialTraits(data) {
  return {
    meta: data.meta,
    view: data.view,
    grid: data.grid ? data.grid.bytes : new Uint8Array(0),
    grid_meta: data.grid ? data.grid.meta : {},
    running: false,
    speed: 0,
    t: 0,
    status: [],
    error: "",
    batch_size: 0,
    data: new Uint8Array(0),
    data_meta: {},
    marks: [],
  };
}
