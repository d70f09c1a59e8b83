// The replay's clock: a position in steps that advances at `speed` steps a second while
// playing; the row shown is the last one at or before it (rows are thinned, not contiguous).

import { upperBound } from "./data.js";

/** Steps a second that play the whole race in about `seconds` seconds at 1x. */
export function defaultSpeed(steps, seconds = 8) {
  const n = steps.length;
  const span = n ? steps[n - 1] - steps[0] : 0;
  return Math.max(1, span / seconds);
}

export function createClock(steps, speed = defaultSpeed(steps)) {
  const n = steps.length;
  let pos = n ? steps[n - 1] : 0;
  return {
    speed,
    /** The row shown now. */
    index() {
      return Math.max(0, upperBound(steps, pos) - 1);
    },
    /** Jump to row `i` (clamped). */
    seek(i) {
      const k = Math.max(0, Math.min(n - 1, Math.round(i)));
      pos = steps[k];
      return k;
    },
    /** Whether the clock is at the last row. */
    atEnd() {
      return this.index() >= n - 1;
    },
    /** Advance `ms` milliseconds at `speed * factor`; returns the row shown then. */
    tick(ms, factor = 1) {
      pos = Math.min(steps[n - 1], pos + (this.speed * factor * ms) / 1000);
      return this.index();
    },
  };
}
