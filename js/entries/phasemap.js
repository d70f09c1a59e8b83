// Entry point of the PhaseMap's front end (anywidget): `gd.PhaseMap(...)` in the kernel.
// Each view reads the model's traits (docs/sweeps.md) and owns nothing else.

import { renderPhaseMap } from "../phasemap/view.js";

export { renderPhaseMap };

export default {
  render({ model, el }) {
    return renderPhaseMap(model, el);
  },
};
