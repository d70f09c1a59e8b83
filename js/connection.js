// The link to the kernel: one `send` that never throws, whether the kernel is still there, and
// which views of the model are open (docs/protocol.md: view_open / view_close).
//
// How a dead kernel shows in the page (ipywidgets' WidgetModel, which anywidget wraps in a proxy
// offering get/set/send/on/off): a kernel restart makes the widget manager set each model's
// `comm_live` to false, which triggers "comm_live_update"; a comm closed from the kernel side
// triggers "comm:close" then "destroy"; and a send on a disposed comm throws ("Cannot send").
// The proxy does not expose `comm_live`, so "comm_live_update" counts as "gone" unless the
// model itself says it is live; any message from the kernel afterwards proves it is back.

let viewCount = 0;

/** A string unique to one view of one model in this page. */
export function newViewId() {
  viewCount += 1;
  const rand = Math.random().toString(36).slice(2, 10);
  return `v${viewCount}-${rand}`;
}

/**
 * Wrap `model` for sending. `events` is the store's Emitter: "connection" is emitted with
 * `(connected, reason)` whenever the state flips.
 *
 * @returns {{send: (msg: object) => boolean, connected: () => boolean,
 *   openView: () => string, closeView: (id: string) => void, openViews: () => string[],
 *   dispose: () => void}}
 */
export function createConnection(model, events) {
  let live = model.comm_live !== false;
  let closed = false; // the comm was closed for good (comm:close / destroy)
  let reason = "";
  const views = new Set();
  const listeners = [];

  function setLive(value, why = "") {
    if (closed && value) return;
    if (value === live) return;
    live = value;
    reason = value ? "" : why;
    events.emit("connection", live, reason);
  }

  const listen = (event, fn) => {
    model.on(event, fn);
    listeners.push([event, fn]);
  };
  listen("comm_live_update", () => {
    const flag = model.comm_live;
    setLive(typeof flag === "boolean" ? flag : false, "kernel disconnected");
  });
  listen("comm:close", () => {
    setLive(false, "comm closed");
    closed = true;
  });
  listen("destroy", () => {
    setLive(false, "widget closed");
    closed = true;
  });
  // a message from the kernel: it is there (after a websocket reconnect, say)
  listen("msg:custom", () => setLive(true));

  /** Send `msg`; false (and the page flips to disconnected) when it cannot be sent. */
  function send(msg) {
    if (!live) return false;
    try {
      model.send(msg);
      return true;
    } catch (err) {
      setLive(false, String(err?.message ?? err));
      return false;
    }
  }

  // the page going away (tab closed, reload, navigation): the views do not get their cleanup
  const onPageHide = () => {
    for (const id of [...views]) {
      try {
        if (live) model.send({ type: "view_close", id });
      } catch {
        // best effort: the socket may already be gone
      }
    }
    views.clear();
  };
  const win = globalThis.window;
  win?.addEventListener?.("pagehide", onPageHide);

  return {
    send,
    connected: () => live,
    reason: () => reason,
    /** Register a new view and tell the kernel (with its plot size in px); returns its id. */
    openView(px = null) {
      const id = newViewId();
      views.add(id);
      send(px ? { type: "view_open", id, px } : { type: "view_open", id });
      return id;
    },
    /** Tell the kernel the view `id` is gone (once). */
    closeView(id) {
      if (!views.delete(id)) return;
      send({ type: "view_close", id });
    },
    openViews: () => [...views],
    /** for tests: what `pagehide` does */
    pageHide: onPageHide,
    dispose() {
      for (const [event, fn] of listeners) model.off(event, fn);
      win?.removeEventListener?.("pagehide", onPageHide);
    },
  };
}
