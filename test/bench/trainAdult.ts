/**
 * Kiln's defaults per model family, and Auto with a 60-second budget, against
 * XGBoost and scikit-learn on adult with adult.test as the test file: test
 * accuracy, AUC and fit time, in the same run on the same machine, as a
 * Markdown table. MLP throughput is measured on every backend that starts.
 *
 * Needs `npm run build` (it runs the compiled `kiln`) and, for the reference
 * rows, Debian's python3-xgboost and python3-sklearn. From the repository root:
 *   npx esbuild test/bench/trainAdult.ts --bundle --platform=node --format=esm --outfile=/tmp/train-bench.mjs && node /tmp/train-bench.mjs
 * With `forest` as argument it runs only Kiln's random forest against scikit-learn's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = process.cwd();
const samples = join(root, 'resources', 'samples');
const kilnJs = join(root, 'dist', 'main', 'cli', 'kiln.js');
const home = mkdtempSync(join(tmpdir(), 'kiln-bench-'));

interface RunJson {
  runId: string;
  model: string;
  params: Record<string, unknown>;
  backend: string;
  device: string;
  metrics: { validation: Record<string, number>; test?: Record<string, number> };
  trainMs: number;
  runIds?: string[];
}

interface Row {
  name: string;
  accuracy: number | null;
  auc: number | null;
  fitSeconds: number | null;
  note: string;
}

function kiln(args: string[]): { code: number; out: string; err: string } {
  const result = spawnSync(process.execPath, [kilnJs, ...args], {
    env: { ...process.env, KILN_HOME: home },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return { code: result.status ?? 1, out: result.stdout, err: result.stderr };
}

function train(model: string, extra: string[] = []): RunJson {
  const started = Date.now();
  const result = kiln([
    'train',
    join(samples, 'adult.csv'),
    '--target',
    'Y',
    '--test',
    join(samples, 'adult.test.csv'),
    '--model',
    model,
    '--json',
    ...extra,
  ]);
  if (result.code !== 0) throw new Error(`kiln train --model ${model} failed: ${result.err.split('\n').slice(-3).join(' ')}`);
  process.stderr.write(`kiln ${model}: ${((Date.now() - started) / 1000).toFixed(1)} s wall\n`);
  return JSON.parse(result.out) as RunJson;
}

interface ListedRun {
  runId: string;
  model: string;
  status: string;
  trainMs: number | null;
  durationMs: number | null;
  metrics: RunJson['metrics'];
}

function listRuns(): ListedRun[] {
  const result = kiln(['runs', '--json']);
  if (result.code !== 0) throw new Error(`kiln runs failed: ${result.err}`);
  return JSON.parse(result.out) as ListedRun[];
}

const rows: Row[] = [];
const fromRun = (name: string, run: RunJson, note = ''): Row => ({
  name,
  accuracy: run.metrics.test?.accuracy ?? null,
  auc: run.metrics.test?.auc ?? null,
  fitSeconds: run.trainMs / 1000,
  note: note || `${run.backend} on ${run.device}`,
});

const onlyForest = process.argv[2] === 'forest';

const forest = train('forest');
rows.push(
  fromRun(
    'Kiln random forest (defaults)',
    forest,
    `${String(forest.params.trees)} trees, depth ${String(forest.params.maxDepth)}, ${String(forest.params.featuresPerSplitCount)} features per split; ${forest.device}`,
  ),
);

const gbdt = onlyForest ? null : train('gbdt');
if (gbdt) {
  rows.push(
    fromRun(
      'Kiln gbdt (defaults)',
      gbdt,
      `${String(gbdt.params.bestRound)} rounds, refit ${String(gbdt.params.refitRounds)} on train+valid; ${gbdt.device}`,
    ),
  );
  const linear = train('linear');
  rows.push(fromRun('Kiln logistic regression (defaults)', linear));
  const mlp = train('mlp');
  rows.push(fromRun('Kiln MLP (defaults)', mlp));

  const auto = train('auto', ['--budget', '60']);
  const autoRuns = (auto.runIds ?? []).flatMap((runId) => listRuns().filter((run) => run.runId === runId));
  const autoSeconds = autoRuns.reduce((sum, run) => sum + (run.durationMs ?? 0), 0) / 1000;
  rows.push({
    name: 'Kiln Auto (60 s budget)',
    accuracy: auto.metrics.test?.accuracy ?? null,
    auc: auto.metrics.test?.auc ?? null,
    fitSeconds: autoSeconds,
    note: `${autoRuns.length} candidates (${autoRuns.map((run) => run.model).join(', ')}); picked ${auto.model} on validation AUC; time is all candidates`,
  });
}

// The reference rows come from the same machine, in this same run.
// Debian's python3-xgboost and python3-sklearn live under /usr/bin/python3, which a pyenv shim may hide.
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const reference = spawnSync(python, [join(root, 'test', 'bench', 'reference_adult.py'), samples, ...(onlyForest ? ['forest'] : [])], {
  encoding: 'utf8',
});
if (reference.status === 0) {
  for (const line of reference.stdout.trim().split('\n')) {
    const parsed = JSON.parse(line) as { model: string; accuracy: number; auc: number; fitMs: number };
    rows.push({
      name: parsed.model,
      accuracy: parsed.accuracy,
      auc: parsed.auc,
      fitSeconds: parsed.fitMs / 1000,
      note: 'trained on all of adult.csv',
    });
  }
} else {
  rows.push({
    name: 'XGBoost / scikit-learn',
    accuracy: null,
    auc: null,
    fitSeconds: null,
    note: `not run: ${reference.stderr.trim().split('\n').at(-1) ?? 'python3 failed'}`,
  });
}

// MLP throughput per backend: three epochs each, from a recipe so the epochs can be set.
const throughput: string[] = [];
for (const backend of onlyForest ? [] : ['tensorflow', 'webgpu', 'wasm', 'cpu']) {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-bench-recipe-'));
  const recipe = join(dir, 'recipe.json');
  writeFileSync(
    recipe,
    JSON.stringify({
      schemaVersion: 1,
      dataset: { path: join(samples, 'adult.csv') },
      clean: [{ type: 'text', id: 'strip-label-dot', columns: ['Y'], operation: 'removeTrailing', find: '.' }],
      split: { target: 'Y', seed: 42, stratify: true, testFile: join(samples, 'adult.test.csv') },
      features: {
        target: 'Y',
        task: 'binary',
        features: [
          'age',
          'workclass',
          'fnlwgt',
          'education',
          'education-num',
          'marital-status',
          'occupation',
          'relationship',
          'race',
          'sex',
          'capital-gain',
          'capital-loss',
          'hours-per-week',
          'native-country',
        ].map((name) => ({
          name,
          include: true,
          encoding: {
            kind: ['age', 'fnlwgt', 'education-num', 'capital-gain', 'capital-loss', 'hours-per-week'].includes(name)
              ? 'numeric'
              : 'categorical',
          },
        })),
      },
      train: { model: 'mlp', backend, mlp: { epochs: 3 } },
    }),
  );
  const result = kiln(['run', recipe, '--json']);
  if (result.code !== 0) {
    throughput.push(
      `| ${backend} | — | unavailable: ${
        result.err
          .trim()
          .split('\n')
          .at(-1)
          ?.replace(/^kiln: /, '') ?? ''
      } |`,
    );
    continue;
  }
  const trained = (JSON.parse(result.out) as { train: RunJson }).train;
  // Rows per second per epoch are in the run's history, which `runs --json` leaves out; the run's SQLite record has it.
  const script = `const D=require(${JSON.stringify(join(root, 'node_modules', 'better-sqlite3'))});const d=new D(${JSON.stringify(join(home, 'kiln.db'))},{readonly:true});process.stdout.write(d.prepare('SELECT history_json FROM runs WHERE id=?').get(${JSON.stringify(trained.runId)}).history_json)`;
  const db = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  const epochs = JSON.parse(db.stdout) as { rowsPerSecond: number | null; dataWaitMs: number | null; computeMs: number | null }[];
  const rates = epochs.map((epoch) => epoch.rowsPerSecond ?? 0).filter((rate) => rate > 0);
  const wait = epochs.reduce((sum, epoch) => sum + (epoch.dataWaitMs ?? 0), 0);
  const compute = epochs.reduce((sum, epoch) => sum + (epoch.computeMs ?? 0), 0);
  const mean = rates.reduce((sum, rate) => sum + rate, 0) / Math.max(1, rates.length);
  throughput.push(
    `| ${backend} | ${Math.round(mean).toLocaleString('en-US')} | ${trained.device}; data wait ${((100 * wait) / Math.max(1, wait + compute)).toFixed(1)} % |`,
  );
}

const cell = (value: number | null, digits: number) => (value === null ? '—' : value.toFixed(digits));
const lines = [
  '| model | test accuracy | test AUC | fit time (s) | notes |',
  '|---|---|---|---|---|',
  ...rows.map((row) => `| ${row.name} | ${cell(row.accuracy, 4)} | ${cell(row.auc, 4)} | ${cell(row.fitSeconds, 2)} | ${row.note} |`),
  '',
  '| MLP backend | rows/s (mean over 3 epochs) | device |',
  '|---|---|---|',
  ...throughput,
];
const named = (prefix: string) => rows.find((row) => row.name.startsWith(prefix));
const xgboost = named('XGBoost');
const sklearnLogistic = rows.find((row) => row.name.includes('LogisticRegression'));
const sklearnForest = rows.find((row) => row.name.includes('RandomForest (defaults'));
const bestSingle = Math.max(...rows.filter((row) => row.name.startsWith('Kiln') && !row.name.includes('Auto')).map((row) => row.auc ?? 0));
const kilnForest = named('Kiln random forest');
const kilnGbdt = named('Kiln gbdt');
const goals = [`forest AUC ${cell(kilnForest?.auc ?? null, 4)} vs scikit-learn's RandomForest ${cell(sklearnForest?.auc ?? null, 4)}`];
if (kilnGbdt) {
  goals.push(
    `gbdt AUC ${cell(kilnGbdt.auc, 4)} ≥ 0.928 and accuracy ${cell(kilnGbdt.accuracy, 4)} ≥ 0.872`,
    `fit ${cell(kilnGbdt.fitSeconds, 2)} s vs ≤ 2× XGBoost's ${xgboost ? cell((xgboost.fitSeconds ?? 0) * 2, 2) : '—'} s`,
    `logistic AUC within 0.003 of scikit-learn's: ${sklearnLogistic ? cell(Math.abs((named('Kiln logistic')?.auc ?? 0) - (sklearnLogistic.auc ?? 0)), 4) : '—'}`,
    `Auto test AUC ${cell(named('Kiln Auto')?.auc ?? null, 4)} vs best single ${cell(bestSingle, 4)}`,
  );
}
lines.push('', `Goals: ${goals.join('; ')}.`);
console.log(lines.join('\n'));
