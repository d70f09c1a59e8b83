// Entry point of the kernel-free replay page (gdwidget.export.save_html): the page inlines
// this bundle, its CSS and the race's data (<script id="gd-replay-data">); the static picture
// it holds stays where the replay cannot be built.

import "uplot/dist/uPlot.min.css";
import "../widget.css";
import "../replay/replay.css";

import { mountReplay } from "../replay/page.js";

export { mountReplay };

const host = globalThis.document?.getElementById("gd-replay");
const source = globalThis.document?.getElementById("gd-replay-data");
if (host && source) {
  try {
    mountReplay(host, JSON.parse(source.textContent));
  } catch (err) {
    console.error("gdwidget: the replay could not be built; the static picture stays", err);
  }
}
