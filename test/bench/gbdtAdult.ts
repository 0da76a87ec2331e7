/**
 * Fit time and test scores of Kiln's gradient-boosted trees on adult, single
 * thread against worker threads. Run:
 *   npx esbuild test/bench/gbdtAdult.ts --bundle --platform=node --format=esm --outfile=/tmp/gbdt-bench.mjs && node /tmp/gbdt-bench.mjs
 * from the repository root. Optional argument: a row multiplier, to see where worker threads start to pay.
 */
import { join } from 'node:path';
import { fitGbdt, rocAuc, type GbdtParams } from '../../main/engine/train/trees/index.js';
import { holdOut, loadAdult, takeRows } from '../unit/gbdt/adultData.js';

const multiplier = Number(process.argv[2] ?? '1');
// Bundled, this file no longer sits in the repository, so the samples are found from the working directory.
const { train, test } = loadAdult(join(process.cwd(), 'resources', 'samples'));
const { fit, valid } = holdOut(train, 0.15, 7);
const big =
  multiplier > 1
    ? takeRows(
        fit,
        Uint32Array.from({ length: fit.labels.length * multiplier }, (_, i) => i % fit.labels.length),
      )
    : fit;

async function run(label: string, params: Partial<GbdtParams>): Promise<void> {
  const cpuBefore = process.cpuUsage();
  const result = await fitGbdt(big.data, big.labels, params, { validation: valid });
  // Process CPU time (all threads): on a busy machine wall time alone says little.
  const cpu = process.cpuUsage(cpuBefore);
  const p = result.model.predict(test.data);
  let correct = 0;
  p.forEach((value, row) => (correct += (value >= 0.5 ? 1 : 0) === test.labels[row] ? 1 : 0));
  console.log(
    `${label.padEnd(28)} rows ${big.labels.length} threads ${result.threads} rounds ${result.bestRound}/${result.history.length} ` +
      `fit ${(result.fitMs / 1000).toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s cpu ` +
      `(${(result.fitMs / result.history.length).toFixed(1)} ms/round) ` +
      `accuracy ${(correct / p.length).toFixed(4)} auc ${rocAuc(test.labels, p).toFixed(4)}`,
  );
}

const only = process.argv[3];
const runs: [string, Partial<GbdtParams>][] = [
  ['defaults, single thread', { threads: 1 }],
  ['defaults, 2 threads', { threads: 2 }],
  ['defaults, single thread', { threads: 1 }],
  ['200 rounds, no early stop', { threads: 1, rounds: 200, earlyStoppingRounds: 0 }],
];
for (const [index, [label, params]] of runs.entries()) if (only === undefined || Number(only) === index) await run(label, params);
