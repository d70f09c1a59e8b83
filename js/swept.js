// Swept groups (one optimizer, one setting per run: `adam(lr=np.logspace(-4, 0, 1000))`) shown as
// one entry: which groups they are, their words ("adam · lr 1e-4..1 (1000 runs)") and one status.

import { formatNumber } from "./scales.js";

/**
 * The groups shown as one entry (legend row, slider): several runs whose settings are given one
 * per run (`meta.groups[i].swept`; an older kernel: rates that differ). Map label -> group.
 */
export function sweptGroups(meta) {
  const out = new Map();
  for (const g of Array.isArray(meta?.groups) ? meta.groups : []) if (isSwept(g)) out.set(String(g.label), g);
  return out;
}

/** Whether group `g` of meta is a swept group (see `sweptGroups`). */
export function isSwept(g) {
  if (!g || g.label == null || !(Number(g.runs) > 1)) return false;
  const range = Array.isArray(g.lr_range) ? g.lr_range.map(Number) : null;
  return Array.isArray(g.swept) ? g.swept.length > 0 : range != null && range[0] !== range[1];
}

/** A range of numbers as legend text: "1e-4..1", or one number when both ends agree. */
export function rangeText(lo, hi) {
  return lo === hi ? formatNumber(lo) : `${formatNumber(lo)}..${formatNumber(hi)}`;
}

/**
 * A swept group's words: "adam · lr 1e-4..1 (1000 runs)" (its label first when it is not the
 * optimizer's name), then each other swept setting as its range ("momentum 0.5..0.9").
 */
export function sweptText(g) {
  const range = Array.isArray(g?.lr_range) ? g.lr_range.map(Number) : [Number(g?.lr), Number(g?.lr)];
  const name = g?.optimizer ?? g?.label;
  const head = String(g?.label) === String(name) ? String(name) : `${g?.label} · ${name}`;
  const parts = [`${head} · lr ${rangeText(range[0], range[1])} (${g?.runs} runs)`];
  const hyper = g?.hyper ?? {};
  for (const k of Array.isArray(g?.swept) ? g.swept : []) {
    if (k !== "lr" && hyper[k] != null) parts.push(`${k} ${String(hyper[k]).replace(/ \(\d+ runs\)/g, "")}`);
  }
  return parts.join(" · ");
}

/** One status line for many runs: "3 running · 1 diverged" ("paused" while paused). */
export function groupStatusText(entries, idle = "") {
  const counts = new Map();
  for (const s of entries) {
    const what = s?.status ?? "";
    if (what) counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  if (idle && counts.size === 1 && counts.has("running")) return idle;
  return [...counts].map(([what, n]) => `${n} ${what}`).join(" · ");
}

/** The status shared by every entry, "mixed" when they differ, "" without any. */
export function commonStatus(entries) {
  const kinds = new Set(entries.map((s) => s?.status ?? ""));
  return kinds.size === 1 ? [...kinds][0] : "mixed";
}
