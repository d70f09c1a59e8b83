// Entry point of the Playground's front end (anywidget).
//
// The default export is a factory: anywidget calls it once per model, so the closure holds that
// model's state. `initialize` makes the model-wide store and connection (app.js: `connect`);
// `render` builds one view (`renderView`) and returns its cleanup.

import "uplot/dist/uPlot.min.css";
import "../widget.css";

import { connect, renderView } from "../app.js";
import { renderScaled } from "../presentation.js";

export { connect, renderView };

export default function createWidget() {
  let store = null;
  return {
    initialize({ model }) {
      store = connect(model);
      return () => {
        store?.dispose();
        store = null;
      };
    },
    render({ el }) {
      // built again at a larger scale when the output is wide (js/presentation.js)
      return renderScaled(store, el, renderView);
    },
  };
}
