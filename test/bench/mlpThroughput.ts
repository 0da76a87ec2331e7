/**
 * MLP training throughput on adult for every compute backend available here,
 * printed as a Markdown table. Run from the repository root:
 *   npx esbuild test/bench/mlpThroughput.ts --bundle --platform=node --format=esm --packages=external --outfile=dist/bench/mlpThroughput.mjs && node dist/bench/mlpThroughput.mjs [epochs]
 * (Packages stay external, so the bundle must lie inside the repository to find node_modules.)
 * Rows per second is the median over the epochs after the first (which pays
 * for kernel compilation and warm-up); the data-wait share is over all epochs.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { TrainSettings, type EpochRecord } from '../../shared/api/train.js';
import { evaluateClassification } from '../../main/engine/evaluate/index.js';
import { listBackends } from '../../main/engine/train/backends.js';
import { fitFamily } from '../unit/trainers/helpers.js';
import { adultClasses, loadAdultPrepared } from '../unit/trainers/adultPrepared.js';

const epochs = Number(process.argv[2] ?? '4');
// Bundled, this file no longer sits in the repository, so the samples are found from the working directory.
const data = loadAdultPrepared({ samples: join(process.cwd(), 'resources', 'samples') });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const rows: string[] = [];
const backends = await listBackends();
for (const backend of backends) {
  if (!backend.available) {
    rows.push(`| ${backend.name} | not available: ${backend.detail} | | | | |`);
    continue;
  }
  const history: EpochRecord[] = [];
  const settings = TrainSettings.parse({ backend: backend.name, mlp: { epochs, patience: 0 } });
  const model = await fitFamily('mlp', data, settings, {
    task: 'binary',
    classes: adultClasses,
    seed: 42,
    backend: settings.backend,
    signal: new AbortController().signal,
    onProgress: ({ record }) => {
      history.push(record);
      process.stderr.write(`${backend.name} epoch ${record.epoch}: ${Math.round(record.rowsPerSecond ?? 0)} rows/s\n`);
    },
  });
  const steady = history.length > 1 ? history.slice(1) : history;
  const rowsPerSecond = median(steady.map((record) => record.rowsPerSecond ?? 0));
  const wait = history.reduce((sum, record) => sum + (record.dataWaitMs ?? 0), 0);
  const compute = history.reduce((sum, record) => sum + (record.computeMs ?? 0), 0);
  const proba = await model.predict(data, 'test');
  const auc = evaluateClassification({ labels: adultClasses, yTrue: Int32Array.from(data.y.test!), proba }).summary.auc ?? Number.NaN;
  rows.push(
    `| ${backend.name} | ${model.device} | ${Math.round(rowsPerSecond).toLocaleString('en-US')} | ${((100 * wait) / (wait + compute)).toFixed(1)} % | ${(model.trainMs / 1000).toFixed(1)} s | ${auc.toFixed(4)} |`,
  );
}

console.log(
  `MLP (2 × 64 ReLU, dropout 0.1, batch 256, Adam 1e-3), ${epochs} epochs on adult (${data.dense.train.rows} training rows × ${data.dense.train.cols} columns); ` +
    `${availableParallelism()} × ${cpus()[0]?.model ?? 'CPU'}, load average ${loadavg()[0]!.toFixed(1)} at the end.\n`,
);
console.log('| backend | device | rows/s (median, epochs 2+) | data wait | fit time | test AUC |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
