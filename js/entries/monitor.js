// Entry point of the monitor's front end (anywidget): `gd.monitor(...)` in the kernel.
//
// The default export is a factory: anywidget calls it once per model, so the closure holds that
// model's state. `initialize` makes the model-wide store and connection (`connectMonitor`);
// `render` builds one view (`renderMonitor`) and returns its cleanup.

import "uplot/dist/uPlot.min.css";
import "../widget.css";
import "../monitor.css";

import { connectMonitor, renderMonitor } from "../monitor/app.js";

export { connectMonitor, renderMonitor };

export default function createMonitor() {
  let store = null;
  return {
    initialize({ model }) {
      store = connectMonitor(model);
      return () => {
        store?.dispose();
        store = null;
      };
    },
    render({ el }) {
      return renderMonitor(store, el);
    },
  };
}
