#!/usr/bin/env node
/* global process, console */
/**
 * Auto on small real datasets against scikit-learn and XGBoost.
 *
 * Fetches the Debian packages that bundle the data (python3-statsmodels,
 * python3-vega-datasets) with `apt-get download`, unpacks them with `dpkg -x`
 * into a temporary folder, and for each dataset makes one seeded 80/20 split
 * into train.csv and test.csv. Kiln trains Auto on train.csv (its own
 * selection inside it) with a 10 s budget and is scored on test.csv through
 * `kiln train --test`; scikit-learn's LogisticRegression (Ridge for
 * regression), HistGradientBoosting and XGBoost are fitted on the same
 * train.csv and scored on the same test.csv. Prints the table: test AUC for
 * binary, accuracy for multiclass, R² for regression.
 *
 * Needs: a built CLI (`npm run build:main`), apt-get and dpkg, and Debian's
 * /usr/bin/python3 with python3-sklearn (python3-xgboost optional: the column
 * reads "—" without it). Not part of `npm test`.
 *
 *   node test/bench/auto-small.mjs [--budget 10] [--only anes96,engel]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const kilnCli = join(repoRoot, 'dist', 'main', 'cli', 'kiln.js');
const { values: options } = parseArgs({
  options: { budget: { type: 'string', default: '10' }, only: { type: 'string' }, keep: { type: 'boolean' } },
});
const budget = Number(options.budget);
const seed = 42;

const work = mkdtempSync(join(tmpdir(), 'kiln-auto-small-'));
const packages = ['python3-statsmodels', 'python3-vega-datasets'];

function fetchPackages() {
  const debs = join(work, 'debs');
  const root = join(work, 'root');
  execFileSync('mkdir', ['-p', debs, root]);
  execFileSync('apt-get', ['download', ...packages], { cwd: debs, stdio: ['ignore', 'ignore', 'inherit'] });
  for (const deb of readdirSync(debs).filter((name) => name.endsWith('.deb'))) execFileSync('dpkg', ['-x', join(debs, deb), root]);
  return join(root, 'usr', 'lib', 'python3', 'dist-packages');
}

/** These files quote names but never a separator inside a field: a plain split, then the quotes off. */
function readCsv(path, separator = ',') {
  const lines = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((line) => line.length > 0);
  const split = (line) => line.split(separator).map((value) => value.trim().replace(/^(["'])(.*)\1$/, '$2'));
  const header = split(lines[0]);
  return lines.slice(1).map((line) => Object.fromEntries(split(line).map((value, index) => [header[index], value])));
}

function datasets(site) {
  const sm = (name, file = name) => join(site, 'statsmodels', 'datasets', name, `${file}.csv`);
  const vega = (file) => join(site, 'vega_datasets', '_data', file);
  const cars = () =>
    JSON.parse(readFileSync(vega('cars.json'), 'utf8')).map(({ Name: _name, Year, ...rest }) => ({
      ...rest,
      Year: Number(String(Year).slice(0, 4)),
    }));
  return [
    {
      name: 'anes96',
      task: 'binary',
      target: 'vote',
      rows: () => readCsv(sm('anes96'), '\t').map((row) => ({ ...row, vote: row.vote.startsWith('1') ? 'Dole' : 'Clinton' })),
    },
    {
      name: 'modechoice',
      task: 'binary',
      target: 'choice',
      rows: () =>
        readCsv(sm('modechoice'), ';').map(({ individual: _individual, ...row }) => ({
          ...row,
          mode: `mode${row.mode}`,
          choice: row.choice === '1' ? 'yes' : 'no',
        })),
    },
    {
      name: 'fair',
      task: 'binary',
      target: 'had_affair',
      rows: () => readCsv(sm('fair')).map(({ affairs, ...row }) => ({ ...row, had_affair: Number(affairs) > 0 ? 'yes' : 'no' })),
    },
    { name: 'cars-origin', task: 'multiclass', target: 'Origin', rows: cars },
    {
      name: 'seattle-weather',
      task: 'multiclass',
      target: 'weather',
      rows: () => readCsv(vega('seattle-weather.csv')).map(({ date, ...row }) => ({ ...row, month: Number(date.slice(5, 7)) })),
    },
    { name: 'cars-mpg', task: 'regression', target: 'Miles_per_Gallon', rows: () => cars().filter((row) => row.Miles_per_Gallon !== null) },
    { name: 'engel', task: 'regression', target: 'foodexp', rows: () => readCsv(sm('engel')) },
    { name: 'grunfeld', task: 'regression', target: 'invest', rows: () => readCsv(sm('grunfeld')) },
  ];
}

function mulberry32(state) {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function writeCsv(path, rows) {
  const header = Object.keys(rows[0]);
  const cell = (value) => {
    if (value === null || value === undefined) return '';
    const text = String(value);
    return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  writeFileSync(path, [header.join(','), ...rows.map((row) => header.map((name) => cell(row[name])).join(','))].join('\n') + '\n');
}

/** The same seeded 80/20 split for every contender. */
function splitFiles(dataset) {
  const rows = dataset.rows();
  const random = mulberry32(seed);
  const order = rows.map((_, index) => index);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const cut = Math.round(rows.length * 0.8);
  const folder = join(work, dataset.name);
  execFileSync('mkdir', ['-p', folder]);
  const train = join(folder, 'train.csv');
  const test = join(folder, 'test.csv');
  writeCsv(
    train,
    order.slice(0, cut).map((index) => rows[index]),
  );
  writeCsv(
    test,
    order.slice(cut).map((index) => rows[index]),
  );
  return { train, test, rows: rows.length };
}

const reference = String.raw`
import csv, json, sys, time
import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import roc_auc_score, accuracy_score, r2_score
try:
    import xgboost
except ImportError:
    xgboost = None

train_path, test_path, target, task, seed = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
def read(path):
    with open(path, newline='') as f:
        return [row for row in csv.DictReader(f) if row[target] != '']
train, test = read(train_path), read(test_path)
features = [name for name in train[0].keys() if name != target]
def number(text):
    try:
        return float(text)
    except ValueError:
        return None
numeric = [name for name in features if all(row[name] == '' or number(row[name]) is not None for row in train)]
categorical = [name for name in features if name not in numeric]
levels = {name: sorted({row[name] for row in train if row[name] != ''}) for name in categorical}
medians = {name: float(np.median([number(row[name]) for row in train if row[name] != ''])) for name in numeric}
def matrix(rows, scale=None):
    columns = []
    for name in numeric:
        columns.append([number(row[name]) if row[name] != '' else medians[name] for row in rows])
    for name in categorical:
        for level in levels[name]:
            columns.append([1.0 if row[name] == level else 0.0 for row in rows])
    return np.array(columns, dtype=float).T
Xtr, Xte = matrix(train), matrix(test)
mean, std = Xtr.mean(axis=0), Xtr.std(axis=0)
std[std == 0] = 1
Str, Ste = (Xtr - mean) / std, (Xte - mean) / std
if task == 'regression':
    ytr = np.array([float(row[target]) for row in train]); yte = np.array([float(row[target]) for row in test])
else:
    classes = sorted({row[target] for row in train})
    ytr = np.array([classes.index(row[target]) for row in train]); yte = np.array([classes.index(row[target]) if row[target] in classes else -1 for row in test])
    keep = yte >= 0; Xte, Ste, yte = Xte[keep], Ste[keep], yte[keep]
def score(model, Xa, Xb):
    model.fit(Xa, ytr)
    if task == 'regression':
        return r2_score(yte, model.predict(Xb))
    if task == 'binary':
        return roc_auc_score(yte, model.predict_proba(Xb)[:, 1])
    return accuracy_score(yte, model.predict(Xb))
out = {}
if task == 'regression':
    out['linear'] = score(Ridge(alpha=1.0), Str, Ste)
    out['hgb'] = score(HistGradientBoostingRegressor(random_state=seed), Xtr, Xte)
    out['xgb'] = score(xgboost.XGBRegressor(n_estimators=200, max_depth=6, learning_rate=0.1, tree_method='hist', random_state=seed), Xtr, Xte) if xgboost else None
else:
    out['linear'] = score(LogisticRegression(max_iter=2000), Str, Ste)
    out['hgb'] = score(HistGradientBoostingClassifier(random_state=seed), Xtr, Xte)
    out['xgb'] = score(xgboost.XGBClassifier(n_estimators=200, max_depth=6, learning_rate=0.1, tree_method='hist', random_state=seed), Xtr, Xte) if xgboost else None
print(json.dumps(out))
`;

function metricOf(task) {
  return task === 'binary' ? 'auc' : task === 'multiclass' ? 'accuracy' : 'r2';
}

function runKiln(dataset, files) {
  const home = join(work, dataset.name, 'home');
  const output = execFileSync(
    process.execPath,
    [
      kilnCli,
      'train',
      files.train,
      '--target',
      dataset.target,
      '--test',
      files.test,
      '--budget',
      String(budget),
      '--seed',
      String(seed),
      '--json',
    ],
    { env: { ...process.env, KILN_HOME: home }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const result = JSON.parse(output.trim().split('\n').at(-1));
  return {
    score: result.metrics.test?.[metricOf(dataset.task)] ?? null,
    model: result.model,
    runs: result.runIds.length,
    cv: result.selection?.mean ?? null,
    spread: result.selection?.std ?? null,
    warnings: result.warnings ?? [],
  };
}

function runReference(dataset, files) {
  const script = join(work, 'reference.py');
  writeFileSync(script, reference);
  const output = execFileSync('/usr/bin/python3', [script, files.train, files.test, dataset.target, dataset.task, String(seed)], {
    encoding: 'utf8',
  });
  return JSON.parse(output.trim().split('\n').at(-1));
}

const shown = (value) => (typeof value === 'number' ? value.toFixed(4) : '—');

try {
  const site = fetchPackages();
  const only = options.only ? new Set(options.only.split(',')) : null;
  const lines = [
    `Auto (${budget} s budget, seed ${seed}) against scikit-learn and XGBoost on one seeded 80/20 split; binary: test AUC, multiclass: accuracy, regression: R².`,
    '',
    '| dataset | task | rows | metric | Kiln Auto | chosen (runs) | CV mean ± spread (auc, accuracy or rmse) | LogReg/Ridge | HistGB | XGBoost | Auto − best |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const gaps = [];
  for (const dataset of datasets(site)) {
    if (only && !only.has(dataset.name)) continue;
    const files = splitFiles(dataset);
    const started = Date.now();
    const kiln = runKiln(dataset, files);
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    const others = runReference(dataset, files);
    const best = Math.max(...[others.linear, others.hgb, others.xgb].filter((value) => typeof value === 'number'));
    const gap = kiln.score === null ? null : kiln.score - best;
    if (gap !== null) gaps.push(gap);
    lines.push(
      `| ${dataset.name} | ${dataset.task} | ${files.rows} | ${metricOf(dataset.task)} | ${shown(kiln.score)} | ${kiln.model} (${kiln.runs}, ${seconds} s) | ${shown(kiln.cv)} ± ${shown(kiln.spread)} | ${shown(others.linear)} | ${shown(others.hgb)} | ${shown(others.xgb)} | ${gap === null ? '—' : (gap >= 0 ? '+' : '') + gap.toFixed(4)} |`,
    );
    for (const warning of kiln.warnings) lines.push(`|  | warning: ${warning.replaceAll('|', '/')} | | | | | | | | | |`);
    console.error(lines.at(-1));
  }
  if (gaps.length > 0) {
    lines.push(
      '',
      `Mean of Auto − best: ${(gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length).toFixed(4)} over ${gaps.length} datasets.`,
    );
  }
  console.log(lines.join('\n'));
} finally {
  if (!options.keep) rmSync(work, { recursive: true, force: true });
}
