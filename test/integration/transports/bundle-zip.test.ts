/**
 * "Download bundle (.zip)" in browser mode: a GBDT run on adult exported by
 * the CLI, its bundle downloaded from the real host over HTTP, unzipped with
 * the system's `unzip`, and scored by `kiln predict` from the unzipped folder.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../main/engine/engine.js';
import { startHost, type RunningHost } from '../../../main/host/server.js';
import { adultCsv, adultTestCsv, tempDir } from '../../helpers/engine.js';
import { kilnJs } from '../export/helpers.js';
import { kiln } from '../train/helpers.js';

const run = promisify(execFile);
const token = 'test-token-zip-0123456789abcdef';

let previousHome: string | undefined;
let home: string;
let scratch: string;
let exportId: string;
let runId: string;
let engine: Engine;
let host: RunningHost;

beforeAll(async () => {
  previousHome = process.env.KILN_HOME;
  home = await tempDir('kiln-zip-');
  scratch = await tempDir('kiln-zip-files-');
  process.env.KILN_HOME = home;
  const trained = await kiln(['train', adultCsv, '--target', 'Y', '--model', 'gbdt', '--json']);
  expect(trained.code, trained.err).toBe(0);
  runId = (JSON.parse(trained.out) as { runId: string }).runId;
  const exported = await kiln(['export', runId, '--out', join(scratch, 'bundle'), '--json']);
  expect(exported.code, exported.err).toBe(0);
  exportId = (JSON.parse(exported.out) as { exportId: string }).exportId;
  engine = new Engine({ home, shell: 'browser' });
  host = await startHost({ engine, rendererDir: await tempDir('kiln-renderer-'), port: 0, token, log: () => undefined });
}, 240_000);

afterAll(async () => {
  await host?.close();
  await engine?.close();
  if (previousHome === undefined) delete process.env.KILN_HOME;
  else process.env.KILN_HOME = previousHome;
  await rm(home, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});

describe('bundle download as a zip', () => {
  const zipUrl = (id: string) => `http://127.0.0.1:${host.port}/api/exports/${encodeURIComponent(id)}/bundle.zip`;

  it('streams the bundle as a zip that unzips into a folder kiln predict can score', async () => {
    const response = await fetch(zipUrl(exportId), { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    expect(response.headers.get('content-disposition')).toBe(`attachment; filename="kiln-bundle-${runId}.zip"`);
    // Streamed as it is compressed: no length is known up front.
    expect(response.headers.get('content-length')).toBeNull();
    const zipFile = join(scratch, 'download.zip');
    await writeFile(zipFile, Buffer.from(await response.arrayBuffer()));

    const unzipped = join(scratch, 'unzipped');
    await mkdir(unzipped);
    await run('unzip', ['-q', zipFile, '-d', unzipped]);
    const bundle = join(unzipped, `kiln-bundle-${runId}`);
    const files = await readdir(bundle);
    for (const name of ['model.onnx', 'schema.json', 'server.mjs', 'Dockerfile']) expect(files).toContain(name);

    const predictions = join(scratch, 'predictions.csv');
    const scored = await run(process.execPath, [kilnJs, 'predict', bundle, adultTestCsv, '--out', predictions, '--json'], {
      env: { ...process.env, KILN_HOME: home },
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(JSON.parse(scored.stdout)).toMatchObject({ rows: 16_281 });
  }, 120_000);

  it('needs the token in the header and a same-site request, like the API', async () => {
    expect((await fetch(zipUrl(exportId))).status).toBe(401);
    expect((await fetch(`${zipUrl(exportId)}?token=${token}`)).status).toBe(401);
    const crossSite = await fetch(zipUrl(exportId), { headers: { authorization: `Bearer ${token}`, 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
  });

  it('serves only bundles the engine knows, by export id, never a path', async () => {
    for (const id of ['exp_unknown', '..', '../../etc', scratch]) {
      const response = await fetch(zipUrl(id), { headers: { authorization: `Bearer ${token}` } });
      expect(response.status, id).toBe(404);
    }
  });
});
