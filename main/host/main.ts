#!/usr/bin/env node
/** `npm run serve`: the engine plus the renderer in any browser, on 127.0.0.1 with a token. */
import { Engine } from '../engine/engine.js';
import { rendererDir, resolveKilnHome } from '../paths.js';
import { formatLimit, maxUploadBytesFromEnv, startHost } from './server.js';

const port = Number(process.env.KILN_PORT ?? 0) || 0;
const home = resolveKilnHome();
let engine: Engine;
try {
  engine = new Engine({ home, shell: 'browser' });
} catch (error) {
  console.error(`kiln: could not open the workspace ${home}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
const maxUploadBytes = maxUploadBytesFromEnv();
const host = await startHost({ engine, rendererDir, port, maxUploadBytes });
console.log(`Kiln is running in browser mode. Workspace: ${home}`);
console.log(`Uploads up to ${formatLimit(maxUploadBytes)} (set KILN_MAX_UPLOAD_BYTES to change it).`);
console.log(`Open ${host.url}`);
console.log('Press Ctrl+C to stop.');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await host.close();
  await engine.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
