/** The Electron shell: one window, a menu, and the IPC bridge. It only routes; the engine does the work. */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, BrowserWindow, ipcMain, Menu, session, shell } from 'electron';
import { Engine } from '../engine/engine.js';
import { rendererDir, resolveKilnHome } from '../paths.js';
import { registerApiIpc, registerShowBundleIpc, rendererUrlCheck } from './ipc.js';
import { buildMenu } from './menu.js';

const indexFile = join(rendererDir, 'index.html');
const indexUrl = pathToFileURL(indexFile).href;

const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

let engine: Engine | undefined;

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'Kiln',
    show: false,
    webPreferences: {
      preload: join(import.meta.dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  window.once('ready-to-show', () => window.show());
  // The app never navigates away from its own page; links open in the system browser.
  window.webContents.on('will-navigate', (event, url) => {
    if (url !== indexUrl) event.preventDefault();
  });
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  void window.loadFile(indexFile);
  return window;
}

async function main(): Promise<void> {
  await app.whenReady();
  engine = new Engine({ home: resolveKilnHome(app.getPath('userData')), shell: 'electron' });
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicy] } });
  });
  session.defaultSession.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  registerApiIpc(ipcMain, engine, rendererUrlCheck(indexUrl), () => BrowserWindow.getAllWindows().map((window) => window.webContents));
  registerShowBundleIpc(ipcMain, engine, rendererUrlCheck(indexUrl), (path) => shell.showItemInFolder(path));
  Menu.setApplicationMenu(buildMenu());
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('will-quit', (event) => {
  if (!engine) return;
  event.preventDefault();
  const closing = engine;
  engine = undefined;
  void closing.close().finally(() => app.quit());
});

main().catch((error: unknown) => {
  console.error(error);
  app.exit(1);
});
