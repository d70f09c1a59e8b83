// The 3-D view's bundle (three.js and js/surface3d.js). It is not part of widget.js: the page
// asks the kernel for this file's text when the 3-D view is first opened and imports it from a
// Blob URL (js/threed.js), so the 2-D widget's startup never loads three.js.

export { createSurface, heightUniforms, pathSegments, surfaceMesh } from "../surface3d.js";
