/**
 * The export flow without Docker, with real parts: a gbdt run trained on
 * adult through the engine (its worker process), `kiln export` (ONNX parity
 * on every adult.test row, the bundle written atomically and recorded),
 * `kiln predict` in-process, `kiln serve` as a real server, and the bundle's
 * Python client and curl script scoring a CSV against it. Needs `npm run build`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../main/engine/engine.js';
import { adultCsv, adultTestCsv, tempDir } from '../../helpers/engine.js';
import { kiln } from '../train/helpers.js';
import {
  expectSamePredictions,
  freePort,
  readAdultTest,
  readPredictionsCsv,
  spawnServe,
  stopProcess,
  waitReady,
  type PredictionsCsv,
} from './helpers.js';

interface ExportJson {
  exportId: string;
  runId: string;
  bundle: string;
  onnx: string;
  onnxBytes: number;
  parity: { rows: number; maxAbsDiff: number };
  image?: unknown;
}

const ADULT_TEST_ROWS = 16_281;
let previousHome: string | undefined;
let home: string;
let scratch: string;
let runId: string;
let exported: ExportJson;
let predictions: PredictionsCsv;

beforeAll(async () => {
  previousHome = process.env.KILN_HOME;
  home = await tempDir('kiln-export-');
  scratch = await tempDir('kiln-export-files-');
  process.env.KILN_HOME = home;
  const trained = await kiln(['train', adultCsv, '--target', 'Y', '--test', adultTestCsv, '--model', 'gbdt', '--json']);
  expect(trained.code, trained.err).toBe(0);
  runId = (JSON.parse(trained.out) as { runId: string }).runId;
}, 180_000);

afterAll(() => {
  if (previousHome === undefined) delete process.env.KILN_HOME;
  else process.env.KILN_HOME = previousHome;
  rmSync(home, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

describe('kiln export, predict and serve on adult', () => {
  it('exports the run: the bundle files, a valid schema, parity on every test row, and a record in the exports table', async () => {
    const out = join(scratch, 'bundle');
    const result = await kiln(['export', runId, '--out', out, '--json']);
    expect(result.code, result.err).toBe(0);
    exported = JSON.parse(result.out) as ExportJson;
    expect(exported.bundle).toBe(out);
    expect(exported.onnx).toBe(join(out, 'model.onnx'));
    expect(exported.image).toBeUndefined();
    // The parity rows are the test split's: adult.test.csv, every row.
    expect(exported.parity.rows).toBe(ADULT_TEST_ROWS);
    expect(exported.parity.maxAbsDiff).toBeLessThanOrEqual(1e-5);
    expect(result.err).toMatch(/Checking parity on 16,281 test rows/);

    for (const file of [
      'model.onnx',
      'schema.json',
      'server.mjs',
      'package.json',
      'Dockerfile',
      '.dockerignore',
      'README.md',
      'client/kiln-client.ts',
      'client/kiln_client.py',
      'client/score.sh',
      'node_modules/onnxruntime-node/package.json',
      'node_modules/onnxruntime-common/package.json',
      'node_modules/papaparse/package.json',
    ]) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    expect(readFileSync(join(out, 'model.onnx')).byteLength).toBe(exported.onnxBytes);
    // Linux x64 binaries only.
    const platforms = readdirSync(join(out, 'node_modules/onnxruntime-node/bin/napi-v6'));
    expect(platforms).toEqual(['linux']);
    expect(readdirSync(join(out, 'node_modules/onnxruntime-node/bin/napi-v6/linux'))).toEqual(['x64']);
    // No temporary folder is left beside the bundle.
    expect(readdirSync(scratch).filter((name) => name.includes('.tmp'))).toEqual([]);

    const schema = JSON.parse(readFileSync(join(out, 'schema.json'), 'utf8')) as {
      formatVersion: number;
      name: string;
      runId: string;
      task: string;
      target: string;
      classes: string[];
      threshold: number;
      inputs: { name: string; type: string; role: string }[];
      outputs: { name: string; role: string }[];
      missingMarkers: string[];
      trainingProfile: { rows: number; features: { name: string; kind: string }[] };
    };
    expect(schema).toMatchObject({
      formatVersion: 1,
      name: 'adult',
      runId,
      task: 'binary',
      target: 'Y',
      classes: ['<=50K', '>50K'],
      threshold: 0.5,
    });
    expect(schema.name).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
    expect(schema.inputs).toHaveLength(14);
    expect(schema.inputs[0]).toEqual({ name: 'age', type: 'number', role: 'numeric' });
    expect(schema.inputs[1]).toEqual({ name: 'workclass', type: 'string', role: 'categorical' });
    expect(schema.inputs.some((input) => input.name === 'Y')).toBe(false);
    expect(schema.outputs).toEqual([
      { name: 'label', role: 'label' },
      { name: 'probabilities', role: 'probabilities' },
    ]);
    expect(schema.missingMarkers).toContain('?');
    expect(schema.trainingProfile.features.map((feature) => feature.name).sort()).toEqual(schema.inputs.map((input) => input.name).sort());
    expect(schema.trainingProfile.rows).toBeGreaterThan(20_000);

    const dockerfile = readFileSync(join(out, 'Dockerfile'), 'utf8');
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/^ARG BASE_IMAGE=node:20-bookworm-slim$/m);
    expect(dockerfile).toMatch(/^USER 10001:10001$/m);
    expect(dockerfile).toMatch(/^EXPOSE 8080$/m);
    expect(dockerfile).toMatch(/^ENV .*HOST=0\.0\.0\.0 PORT=8080 LOG_DIR=\/tmp\/kiln-logs$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "server\.mjs"\]$/m);
    const client = readFileSync(join(out, 'client/kiln-client.ts'), 'utf8');
    expect(client).toMatch(
      /export interface InputRow \{[^}]*\bage: number \| null;[^}]*\bworkclass: string \| null;[^}]*"education-num": number \| null;/s,
    );
    expect(client).toMatch(/async scoreCsv\(file: string, batchSize = 1000\)/);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toMatch(/curl -s \$URL\/invocations/);

    const engine = new Engine({ home, shell: 'test' });
    try {
      const listed = await engine.call('export.list', { runId });
      expect(listed.map((bundle) => bundle.id)).toContain(exported.exportId);
      expect(listed[0]).toMatchObject({ bundle: out, parity: exported.parity, image: null });
    } finally {
      await engine.close();
    }
  });

  it('kiln predict scores adult.test in input order, the same as its reversed copy reversed', async () => {
    const out = join(scratch, 'p.csv');
    const result = await kiln(['predict', exported.bundle, adultTestCsv, '--out', out]);
    expect(result.code, result.err).toBe(0);
    predictions = readPredictionsCsv(readFileSync(out, 'utf8'));
    expect(predictions.header).toEqual(['prediction', 'probability_<=50K', 'probability_>50K']);
    expect(predictions.labels).toHaveLength(ADULT_TEST_ROWS);
    expect(new Set(predictions.labels)).toEqual(new Set(['<=50K', '>50K']));
    predictions.probabilities.forEach((row) => expect(Math.abs(row[0]! + row[1]! - 1)).toBeLessThan(1e-12));
    // Accuracy on adult.test, so the predictions belong to these rows and not just to some rows.
    const test = readAdultTest(adultTestCsv);
    const truth = test.rows.map((row) => row[test.columns.indexOf('Y')]!.replace(/\.$/, ''));
    const accuracy = truth.filter((label, index) => label === predictions.labels[index]).length / truth.length;
    expect(accuracy).toBeGreaterThan(0.86);

    const lines = readFileSync(adultTestCsv, 'utf8').trim().split('\n');
    const reversedFile = join(scratch, 'reversed.csv');
    writeFileSync(reversedFile, [lines[0], ...lines.slice(1).reverse()].join('\n') + '\n');
    const reversed = await kiln(['predict', exported.bundle, reversedFile, '--out', join(scratch, 'reversed-p.csv')]);
    expect(reversed.code, reversed.err).toBe(0);
    const reversedPredictions = readPredictionsCsv(readFileSync(join(scratch, 'reversed-p.csv'), 'utf8'));
    expect(reversedPredictions.labels.reverse()).toEqual(predictions.labels);
    expect(reversedPredictions.probabilities.reverse()).toEqual(predictions.probabilities);

    const missingColumn = join(scratch, 'no-age.csv');
    writeFileSync(missingColumn, lines.map((line) => line.split(', ').slice(1).join(', ')).join('\n'));
    const refused = await kiln(['predict', exported.bundle, missingColumn]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/has no column "age"/);
  });

  it('kiln serve answers /invocations as kiln predict does, and the Python client and curl script score a CSV against it', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = spawnServe(exported.bundle, port, { ...process.env, KILN_HOME: home });
    try {
      await waitReady(url).catch((error: Error) => {
        throw new Error(`${error.message}\n${server.output()}`);
      });
      expect(server.output()).toMatch(/listening on http:\/\/127\.0\.0\.1:/);
      const test = readAdultTest(adultTestCsv);
      const response = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dataframe_split: { columns: test.columns, data: test.rows } }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { predictions: { label: string; probabilities: Record<string, number> }[] };
      expectSamePredictions(
        {
          labels: body.predictions.map((prediction) => prediction.label),
          probabilities: body.predictions.map((prediction) => [prediction.probabilities['<=50K']!, prediction.probabilities['>50K']!]),
        },
        predictions,
        expect,
      );

      const pythonOut = join(scratch, 'python.csv');
      execFileSync('/usr/bin/python3', [
        join(exported.bundle, 'client', 'kiln_client.py'),
        adultTestCsv,
        '--url',
        url,
        '--batch',
        '3000',
        '--out',
        pythonOut,
      ]);
      const python = readPredictionsCsv(readFileSync(pythonOut, 'utf8'));
      expect(python.header).toEqual(predictions.header);
      expectSamePredictions(python, predictions, expect);

      const curlOut = execFileSync(join(exported.bundle, 'client', 'score.sh'), [adultTestCsv, '5000'], {
        env: { ...process.env, KILN_URL: url },
        maxBuffer: 64 * 1024 * 1024,
      }).toString();
      // Both are the server's CSV: identical text.
      expect(curlOut).toBe(readFileSync(join(scratch, 'p.csv'), 'utf8'));
    } finally {
      const code = await stopProcess(server.child);
      expect(code, server.output()).toBe(0);
    }
  });

  it('refuses an export whose ONNX disagrees with the app, naming rows, and leaves no bundle folder', async () => {
    // A copy of the workspace whose model.json gives the same margins in double, but not once the tree
    // ensemble's float32 output holds them: 1e7 moves from the base score into the first tree's leaves.
    const copy = await tempDir('kiln-export-corrupt-');
    try {
      cpSync(home, copy, { recursive: true });
      const modelPath = join(copy, 'artifacts', 'runs', runId, 'model.json');
      const file = JSON.parse(readFileSync(modelPath, 'utf8')) as {
        model: { baseScore: number[]; trees: { feature: number[]; value: number[] }[] };
      };
      const first = file.model.trees[0]!;
      first.value = first.value.map((value, node) => (first.feature[node]! < 0 ? value + 1e7 : value));
      file.model.baseScore = file.model.baseScore.map((value) => value - 1e7);
      writeFileSync(modelPath, JSON.stringify(file));
      const out = join(scratch, 'refused');
      const previous = process.env.KILN_HOME;
      process.env.KILN_HOME = copy;
      let result;
      try {
        result = await kiln(['export', runId, '--out', out]);
      } finally {
        process.env.KILN_HOME = previous;
      }
      expect(result.code).toBe(1);
      expect(result.err).toMatch(/ONNX parity failed: \d[\d,]* of 16281 rows differ by more than 1e-5/);
      expect(result.err).toMatch(/row \d+: expected "(<=50K|>50K)" \[/);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dirname(out)).filter((name) => name.startsWith('.refused'))).toEqual([]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
