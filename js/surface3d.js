// The landscape as a rotatable 3-D surface with the runs' paths on it (three.js). Only the
// `threed` bundle (js/entries/threed.js) holds this file: the page loads it when the 3-D view is
// first opened (js/threed.js), so the 2-D widget never pays for three.js.
//
// Every vertex holds data: the surface's (x, y, loss) of the grid, each path's (x, y, loss) of
// the kept history. The vertex shader maps loss to height with the same transform as the 2-D
// view's colours (log where it uses log colours), so the surface's colours equal the heat map's.

import {
  BufferAttribute,
  BufferGeometry,
  Color,
  DataTexture,
  Group,
  LineSegments,
  LinearFilter,
  Mesh,
  PerspectiveCamera,
  Points,
  RGBAFormat,
  Scene,
  ShaderMaterial,
  UnsignedByteType,
  WebGLRenderer,
} from "three";

import { colorTransform, finiteExtent } from "./scales.js";

/** Height of the box (its base is 1 x 1): loss maps to 0..HEIGHT. */
const HEIGHT = 0.6;
const DECADES = 6; // as colorTransform's default

/**
 * The surface's vertices and triangles from a decoded grid (store.grid()): `positions` holds
 * (x, y, value) per sample (row-major, row 0 at y0), `index` two triangles per cell whose four
 * corners are finite. Returns null without a grid.
 */
export function surfaceMesh(grid) {
  if (!grid || !(grid.nx >= 2 && grid.ny >= 2)) return null;
  const { nx, ny, values } = grid;
  const dx = (grid.x1 - grid.x0) / (nx - 1);
  const dy = (grid.y1 - grid.y0) / (ny - 1);
  const positions = new Float32Array(nx * ny * 3);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const k = j * nx + i;
      positions[3 * k] = grid.x0 + i * dx;
      positions[3 * k + 1] = grid.y0 + j * dy;
      positions[3 * k + 2] = values[k];
    }
  }
  const tri = [];
  for (let j = 0; j + 1 < ny; j++) {
    for (let i = 0; i + 1 < nx; i++) {
      const a = j * nx + i;
      const b = a + 1;
      const c = a + nx;
      const d = c + 1;
      if (!(Number.isFinite(values[a]) && Number.isFinite(values[b]) && Number.isFinite(values[c]) && Number.isFinite(values[d]))) continue;
      tri.push(a, b, d, a, d, c);
    }
  }
  const index = nx * ny > 65535 ? new Uint32Array(tri) : new Uint16Array(tri);
  return { positions, index, triangles: tri.length / 3 };
}

/**
 * Run r's path as line segments: `positions` holds (x, y, loss) of every held row, `index` the
 * segments between consecutive rows whose points are both finite.
 */
export function pathSegments(runs, r) {
  const n = runs.length;
  const positions = new Float32Array(n * 3);
  const x = runs.x[r];
  const y = runs.y[r];
  const loss = runs.loss[r];
  const seg = [];
  let prevOk = false;
  for (let i = 0; i < n; i++) {
    positions[3 * i] = x[i];
    positions[3 * i + 1] = y[i];
    positions[3 * i + 2] = loss[i];
    const ok = Number.isFinite(x[i]) && Number.isFinite(y[i]) && Number.isFinite(loss[i]);
    if (ok && prevOk) seg.push(i - 1, i);
    prevOk = ok;
  }
  return { positions, index: n > 65535 ? new Uint32Array(seg) : new Uint16Array(seg) };
}

/**
 * The uniforms of the loss -> height map, equal to colorTransform's t (js/scales.js):
 * linear t = (z - lo) / span; log t = (log10(z - shift + eps) - a) / (b - a), clamped to 0..1.
 */
export function heightUniforms(grid) {
  let { zmin, zmax } = grid;
  if (!Number.isFinite(zmin) || !Number.isFinite(zmax)) [zmin, zmax] = finiteExtent(grid.values);
  const tr = colorTransform(zmin, zmax, grid.log, DECADES);
  const lo = tr.zmin;
  const span = tr.zmax - tr.zmin;
  if (!tr.log) return { mode: 0, lo, span, shift: 0, eps: 0, a: 0, b: 1, tr };
  if (lo > 0 && Math.log10(tr.zmax / lo) <= DECADES) {
    return { mode: 1, lo, span, shift: 0, eps: 0, a: Math.log10(lo), b: Math.log10(tr.zmax), tr };
  }
  const eps = span * 10 ** -DECADES;
  return { mode: 1, lo, span, shift: lo, eps, a: Math.log10(eps), b: Math.log10(span + eps), tr };
}

const VERTEX = `
uniform float uMode, uLo, uSpan, uShift, uEps, uA, uB, uHeight, uLift, uSize;
uniform vec4 uBox;
varying float vT;
varying vec3 vView;
float level(float z) {
  float t;
  if (uMode < 0.5) t = (z - uLo) / uSpan;
  else {
    float d = z - uShift;
    t = d <= 0.0 ? 0.0 : (log(d + uEps) * 0.4342944819032518 - uA) / (uB - uA);
  }
  return clamp(t, 0.0, 1.0);
}
void main() {
  float t = level(position.z);
  vT = t;
  vec3 p = vec3((position.x - uBox.x) / uBox.y - 0.5, (position.y - uBox.z) / uBox.w - 0.5, t * uHeight + uLift);
  vec4 mv = modelViewMatrix * vec4(p, 1.0);
  vView = mv.xyz;
  gl_PointSize = uSize;
  gl_Position = projectionMatrix * mv;
}`;

const SURFACE_FRAGMENT = `
uniform sampler2D uLut;
varying float vT;
varying vec3 vView;
void main() {
  vec3 n = normalize(cross(dFdx(vView), dFdy(vView)));
  float shade = 0.72 + 0.28 * abs(dot(n, normalize(vec3(0.3, 0.5, 1.0))));
  gl_FragColor = vec4(texture2D(uLut, vec2(vT, 0.5)).rgb * shade, 1.0);
}`;

const LINE_FRAGMENT = `
uniform vec3 uColor;
void main() { gl_FragColor = vec4(uColor, 1.0); }`;

function lutTexture(lut) {
  const n = lut.length / 3;
  const rgba = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    rgba.set(lut.subarray(3 * i, 3 * i + 3), 4 * i);
    rgba[4 * i + 3] = 255;
  }
  const tex = new DataTexture(rgba, n, 1, RGBAFormat, UnsignedByteType);
  tex.magFilter = LinearFilter;
  tex.minFilter = LinearFilter;
  tex.needsUpdate = true;
  return tex;
}

/**
 * Draw the 3-D view into `host` (an element the size of the landscape) from `store`; redraws when
 * the grid, the data, the hidden runs or the theme change. `helpers` are the 2-D view's: `LUT`
 * (its colours) and `runInfo(meta, r)` (each run's label and colour). Drag rotates, the wheel
 * zooms. Returns `{canvas, destroy, info}`; `info()` (and `host.gdThreeD()`, for tests) gives the
 * triangle count and each path's vertices as the GPU has them.
 */
export function createSurface(host, store, { LUT, runInfo }) {
  const width = host.clientWidth || 506;
  const height = host.clientHeight || 440;
  const renderer = new WebGLRenderer({ antialias: true, preserveDrawingBuffer: true, alpha: false });
  renderer.setPixelRatio(globalThis.devicePixelRatio || 1);
  renderer.setSize(width, height);
  const canvas = renderer.domElement;
  canvas.className = "gd-3d-canvas";
  canvas.dataset.testid = "gd-3d-canvas";
  canvas.setAttribute("data-testid", "gd-3d-canvas");
  host.append(canvas);

  const scene = new Scene();
  const camera = new PerspectiveCamera(35, width / height, 0.01, 50);
  const world = new Group();
  scene.add(world);
  const uniforms = {
    uMode: { value: 0 },
    uLo: { value: 0 },
    uSpan: { value: 1 },
    uShift: { value: 0 },
    uEps: { value: 0 },
    uA: { value: 0 },
    uB: { value: 1 },
    uHeight: { value: HEIGHT },
    uBox: { value: [0, 1, 0, 1] },
  };
  // one set of map uniforms shared by every material (objects are shared by reference)
  const shared = (extra) => ({ ...uniforms, uLift: { value: 0 }, uSize: { value: 1 }, ...extra });
  const lut = lutTexture(LUT);
  const surfaceMaterial = new ShaderMaterial({ uniforms: shared({ uLut: { value: lut } }), vertexShader: VERTEX, fragmentShader: SURFACE_FRAGMENT });
  let surface = null;
  let paths = []; // per run: {line, dot, label}
  let triangles = 0;

  // ---- orbit: azimuth, elevation, distance around the box's centre ----
  const orbit = { az: -0.6, el: 0.75, dist: 2.6 };
  function placeCamera() {
    const c = Math.cos(orbit.el);
    camera.position.set(orbit.dist * c * Math.sin(orbit.az), -orbit.dist * c * Math.cos(orbit.az), HEIGHT / 2 + orbit.dist * Math.sin(orbit.el));
    camera.up.set(0, 0, 1);
    camera.lookAt(0, 0, HEIGHT / 2);
  }

  function setGrid() {
    const grid = store.grid();
    if (surface) {
      world.remove(surface);
      surface.geometry.dispose();
      surface = null;
    }
    triangles = 0;
    const mesh = surfaceMesh(grid);
    if (!mesh) return;
    const u = heightUniforms(grid);
    uniforms.uMode.value = u.mode;
    uniforms.uLo.value = u.lo;
    uniforms.uSpan.value = u.span;
    uniforms.uShift.value = u.shift;
    uniforms.uEps.value = u.eps;
    uniforms.uA.value = u.a;
    uniforms.uB.value = u.b;
    uniforms.uBox.value = [grid.x0, grid.x1 - grid.x0, grid.y0, grid.y1 - grid.y0];
    const geometry = new BufferGeometry();
    geometry.setAttribute("position", new BufferAttribute(mesh.positions, 3));
    geometry.setIndex(new BufferAttribute(mesh.index, 1));
    surface = new Mesh(geometry, surfaceMaterial);
    surface.frustumCulled = false; // the vertex shader places it, not the bounding sphere
    world.add(surface);
    triangles = mesh.triangles;
  }

  function clearPaths() {
    for (const p of paths) {
      world.remove(p.line, p.dot);
      p.line.geometry.dispose();
      p.line.material.dispose();
      p.dot.geometry.dispose();
      p.dot.material.dispose();
    }
    paths = [];
  }

  function setPaths() {
    clearPaths();
    const runs = store.runs;
    const meta = store.model.get("meta") ?? {};
    for (let r = 0; r < runs.nRuns; r++) {
      const info = runInfo(meta, r);
      const color = new Color(info.color);
      const seg = pathSegments(runs, r);
      const geometry = new BufferGeometry();
      geometry.setAttribute("position", new BufferAttribute(seg.positions, 3));
      geometry.setIndex(new BufferAttribute(seg.index, 1));
      const material = new ShaderMaterial({ uniforms: shared({ uColor: { value: color }, uLift: { value: 0.004 } }), vertexShader: VERTEX, fragmentShader: LINE_FRAGMENT });
      const line = new LineSegments(geometry, material);
      // the current point: the last finite row
      const last = runs.lastFinite(r);
      const dotGeometry = new BufferGeometry();
      const at = last >= 0 && Number.isFinite(runs.loss[r][last]) ? [runs.x[r][last], runs.y[r][last], runs.loss[r][last]] : [];
      dotGeometry.setAttribute("position", new BufferAttribute(new Float32Array(at), 3));
      const dotMaterial = new ShaderMaterial({ uniforms: shared({ uColor: { value: color }, uLift: { value: 0.006 }, uSize: { value: 7 * (globalThis.devicePixelRatio || 1) } }), vertexShader: VERTEX, fragmentShader: LINE_FRAGMENT });
      const dot = new Points(dotGeometry, dotMaterial);
      line.frustumCulled = false;
      dot.frustumCulled = false;
      const shown = !store.ui.hidden.has(info.label);
      line.visible = shown;
      dot.visible = shown;
      world.add(line, dot);
      paths.push({ line, dot, label: info.label });
    }
  }

  function background() {
    const cs = getComputedStyle(host);
    return cs.getPropertyValue("--gd-bg").trim() || "#ffffff";
  }

  function draw() {
    renderer.setClearColor(new Color(background()), 1);
    placeCamera();
    renderer.render(scene, camera);
    canvas.dataset.triangles = String(triangles);
    canvas.dataset.paths = String(paths.length);
  }

  let frame = 0;
  const request = () => {
    if (!frame) frame = requestAnimationFrame(() => {
      frame = 0;
      draw();
    });
  };

  // ---- drag to rotate, wheel to zoom ----
  let press = null;
  const onDown = (ev) => {
    if (ev.button !== 0) return;
    canvas.setPointerCapture?.(ev.pointerId);
    press = { x: ev.clientX, y: ev.clientY, az: orbit.az, el: orbit.el };
  };
  const onMove = (ev) => {
    if (!press) return;
    orbit.az = press.az - (ev.clientX - press.x) * 0.01;
    orbit.el = Math.max(0.05, Math.min(1.5, press.el + (ev.clientY - press.y) * 0.01));
    request();
  };
  const onUp = () => (press = null);
  const onWheel = (ev) => {
    ev.preventDefault();
    orbit.dist = Math.max(0.8, Math.min(8, orbit.dist * Math.exp(Math.max(-0.5, Math.min(0.5, ev.deltaY * 0.0015)))));
    request();
  };
  canvas.addEventListener("pointerdown", onDown);
  canvas.addEventListener("pointermove", onMove);
  canvas.addEventListener("pointerup", onUp);
  canvas.addEventListener("pointercancel", onUp);
  canvas.addEventListener("wheel", onWheel, { passive: false });

  const offs = [
    store.events.on("grid", () => {
      setGrid();
      request();
    }),
    store.events.on("data", () => {
      setPaths();
      request();
    }),
    store.events.on("meta", () => {
      setPaths();
      request();
    }),
    store.events.on("ui", (what) => {
      if (what === "hidden") {
        setPaths();
        request();
      }
    }),
    store.events.on("theme", request),
  ];
  setGrid();
  setPaths();
  draw();

  function info() {
    return {
      triangles,
      log: uniforms.uMode.value === 1,
      paths: paths.map((p) => ({ label: p.label, visible: p.line.visible, positions: Array.from(p.line.geometry.getAttribute("position").array) })),
      orbit: { ...orbit },
    };
  }
  host.gdThreeD = info;

  return {
    canvas,
    info,
    /** draw now (a capture reads the canvas right after) */
    draw,
    rotate(daz, del = 0) {
      orbit.az += daz;
      orbit.el = Math.max(0.05, Math.min(1.5, orbit.el + del));
      draw();
    },
    destroy() {
      for (const off of offs) off();
      if (frame) cancelAnimationFrame(frame);
      canvas.removeEventListener("wheel", onWheel);
      clearPaths();
      if (surface) surface.geometry.dispose();
      surfaceMaterial.dispose();
      lut.dispose();
      renderer.dispose();
      renderer.forceContextLoss?.();
      canvas.remove();
      delete host.gdThreeD;
    },
  };
}
