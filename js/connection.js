// The link to the kernel: one `send` that never throws, whether the kernel is still there, which
// views of the model are open (docs/protocol.md: view_open / view_close), and `receive`, which
// hands over a custom message's buffers (binary or base64), answers the kernel's binary probe,
// tells the kernel once when buffers were lost, and says (`base64`) whether what the page sends
// with a buffer should go as base64 too (docs/protocol.md: "Buffers fallback").
//
// How a dead kernel shows in the page (ipywidgets' WidgetModel, which anywidget wraps in a proxy
// offering get/set/send/on/off): a kernel restart makes the widget manager set each model's
// `comm_live` to false, which triggers "comm_live_update"; a comm closed from the kernel side
// triggers "comm:close" then "destroy"; and a send on a disposed comm throws ("Cannot send").
// The proxy does not expose `comm_live`, so "comm_live_update" counts as "gone" unless the
// model itself says it is live; any message from the kernel afterwards proves it is back.
// A restart that the widget manager does not see (one through the server's REST API, as a
// script or another tab does) is read from the kernel's own messages where the manager offers
// the kernel (`widget_manager.kernel`, as JupyterLab's and Voila's do): see `watchKernel`.

import { messageBuffers } from "./decode.js";

let viewCount = 0;

/** Seconds between two heartbeats of a view, where `meta` does not say (the monitor's). */
const HEARTBEAT_S = 10;

/** Whether the kernel's probe (`{type: "probe", size}` + bytes 0, 1, ..., 255) arrived intact. */
export function probeIntact(content, buffers) {
  const bufs = messageBuffers(content, buffers);
  if (!bufs || bufs.length < 1) return false;
  const buf = bufs[0];
  const bytes = ArrayBuffer.isView(buf) ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : new Uint8Array(buf ?? 0);
  const size = Number(content?.size);
  if (!Number.isInteger(size) || bytes.length !== size) return false;
  for (let i = 0; i < size; i++) if (bytes[i] !== i % 256) return false;
  return true;
}

/**
 * Call `gone()` once the kernel behind `kernel` (a @jupyterlab/services KernelConnection, or
 * anything without its signals, which is ignored) is not the process that made the widget: a
 * `shutdown_reply` on iopub, a status "starting" or "restarting" (only a new process starts), a
 * message from another kernel session, or the connection's status turning "dead",
 * "restarting" or "autorestarting". Returns the function that stops watching.
 */
export function watchKernel(kernel, gone) {
  const iopub = kernel?.iopubMessage;
  const status = kernel?.statusChanged;
  if (typeof iopub?.connect !== "function") return () => {};
  let session = null;
  let done = false;
  const fire = () => {
    if (done) return;
    done = true;
    gone();
  };
  const onIopub = (_, msg) => {
    const type = msg?.header?.msg_type;
    const state = msg?.content?.execution_state;
    const from = msg?.header?.session;
    if (type === "shutdown_reply" || state === "starting" || state === "restarting") fire();
    else if (from && session && from !== session) fire();
    else if (from) session = from;
  };
  const onStatus = (_, s) => {
    if (s === "dead" || s === "restarting" || s === "autorestarting") fire();
  };
  try {
    iopub.connect(onIopub);
    status?.connect?.(onStatus);
  } catch {
    return () => {};
  }
  return () => {
    try {
      iopub.disconnect(onIopub);
      status?.disconnect?.(onStatus);
    } catch {
      // the kernel connection may be disposed already
    }
  };
}

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
 *   receive: (msg: object, buffers: Array) => (Array|null), base64: () => boolean,
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
  let manager = null;
  try {
    manager = model.widget_manager ?? null; // anywidget's proxy exposes it (a getter may throw)
  } catch {
    manager = null;
  }
  const unwatch = watchKernel(manager?.kernel, () => {
    setLive(false, "kernel restarted");
    closed = true; // a new kernel process does not know this widget
  });

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

  // buffers lost (a probe without its bytes, or a message with fewer buffers than it says): the
  // kernel hears `probe_ack` with ok false once; it switches this widget to base64 buffers and
  // sends the history again, so what was dropped meanwhile comes back
  let lostReported = false;
  // this widget's buffers go as base64: this page saw them lost, or the kernel sends base64 (a
  // page opened after the switch sees no probe); one-way, as the kernel's switch
  let base64 = false;
  function receive(msg, buffers) {
    if (msg?.type === "probe") {
      const ok = probeIntact(msg, buffers);
      const sent = send({ type: "probe_ack", ok });
      if (!ok && sent) lostReported = true;
      if (!ok) base64 = true;
      return null;
    }
    if (Array.isArray(msg?.b64)) base64 = true;
    const bufs = messageBuffers(msg, buffers);
    if (bufs === null) base64 = true;
    if (bufs === null && !lostReported) {
      console.warn(`gdwidget: a '${msg?.type}' message came without its binary buffers; asking for base64`);
      lostReported = send({ type: "probe_ack", ok: false });
    }
    return bufs;
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

  // a page that dies without pagehide (a crashed tab, a killed browser) says nothing: every open
  // view repeats its view_open every `meta.heartbeat_s` seconds, and the kernel counts a view it
  // has not heard from for a while as gone (gdwidget/live/viewcount.py)
  let beat = null;
  const heartbeat = () => {
    const s = Number(model.get("meta")?.heartbeat_s);
    beat = setTimeout(() => {
      if (closed) return;
      for (const id of views) send({ type: "view_open", id });
      heartbeat();
    }, 1000 * (Number.isFinite(s) && s > 0 ? s : HEARTBEAT_S));
    beat?.unref?.(); // (Node, in the tests: a heartbeat does not keep the process alive)
  };
  heartbeat();

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
    /**
     * The buffers of a custom message from the kernel, binary or base64 (decode.js
     * `messageBuffers`); null for the kernel's probe (answered here) and for a message whose
     * buffers were lost (reported here, once).
     */
    receive,
    /**
     * Whether the page's own buffers (a capture's PNG) go as base64 in the JSON content: the
     * kernel's probe failed, a message came without its buffers, or one came in base64.
     */
    base64: () => base64,
    /** for tests: what `pagehide` does */
    pageHide: onPageHide,
    dispose() {
      for (const [event, fn] of listeners) model.off(event, fn);
      unwatch();
      clearTimeout(beat);
      win?.removeEventListener?.("pagehide", onPageHide);
    },
  };
}
