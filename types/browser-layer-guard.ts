// The browser layers' tsconfigs (tsconfig.browser.json) resolve every Node built-in and Node-only package to
// this file, so importing one fails typecheck with the message below, and the package's own types (which pull
// @types/node into the whole program) are never loaded. This file is in no program unless such an import exists.
const layerRule: 'renderer/ and shared/ run in the browser: a Node built-in or a Node-only package was imported here' = 'imported';
export default layerRule;
