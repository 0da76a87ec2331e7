/**
 * Auto: every family with its defaults first, then a small seeded random
 * search over the hyperparameters that matter most, while the time budget
 * lasts. Each candidate is its own run, so the leaderboard fills as it goes;
 * the best is chosen on the validation metric only (the test split is scored
 * for each run but never read here).
 */
import type { ModelFamily, TrainSettings } from '../../../shared/api/train.js';
import { KilnError } from '../../../shared/errors.js';
import { mulberry32 } from './random.js';
import { isBetter, mainMetric } from './evaluation.js';
import { fitCandidate, type Candidate, type CandidateOutcome, type PipelineEnvironment } from './pipeline.js';

function pick<T>(random: () => number, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)] as T;
}

/** A variation of the defaults for `family`, drawn from the search space. */
export function drawCandidate(family: ModelFamily, base: TrainSettings, random: () => number): Candidate {
  if (family === 'gbdt') {
    // Rates above the default's 0.1 won on validation by noise and lost on test in the adult bench; slower rates are the safer bet.
    const learningRate = pick(random, [0.03, 0.05, 0.07, 0.1]);
    const gbdt = {
      ...base.gbdt,
      learningRate,
      // A slower learning rate needs more rounds; early stopping keeps what pays.
      rounds: Math.max(base.gbdt.rounds, Math.ceil((base.gbdt.rounds * 0.1) / learningRate)),
      maxDepth: pick(random, [4, 5, 6, 7, 8]),
      subsample: pick(random, [0.8, 0.9, 1]),
      colsampleByTree: pick(random, [0.7, 0.85, 1]),
      minChildWeight: pick(random, [1, 2, 5]),
      lambda: pick(random, [0.5, 1, 3]),
    };
    return {
      family,
      settings: { ...base, gbdt },
      label: `gbdt lr ${learningRate}, depth ${gbdt.maxDepth}, subsample ${gbdt.subsample}, colsample ${gbdt.colsampleByTree}`,
    };
  }
  if (family === 'mlp') {
    const mlp = {
      ...base.mlp,
      layers: pick(random, [1, 2, 3]),
      width: pick(random, [32, 64, 128, 256]),
      dropout: pick(random, [0, 0.1, 0.2, 0.3]),
      learningRate: pick(random, [5e-4, 1e-3, 2e-3]),
    };
    return {
      family,
      settings: { ...base, mlp },
      label: `mlp ${mlp.layers}×${mlp.width}, dropout ${mlp.dropout}, lr ${mlp.learningRate}`,
    };
  }
  const linear = { ...base.linear, l2: pick(random, [1e-6, 1e-5, 1e-4, 1e-3, 1e-2]) };
  return { family, settings: { ...base, linear }, label: `linear l2 ${linear.l2}` };
}

/** The families' defaults, strongest first on typical tabular data, so a short budget still gets the likely winner. */
export function defaultCandidates(base: TrainSettings): Candidate[] {
  return (['gbdt', 'linear', 'mlp'] as const).map((family) => ({ family, settings: base, label: `${family}, defaults` }));
}

/** The first search step is not drawn: the default trees at half the learning rate with twice the rounds, the most reliable gain. */
export function slowerTrees(base: TrainSettings): Candidate {
  const gbdt = { ...base.gbdt, learningRate: base.gbdt.learningRate / 2, rounds: base.gbdt.rounds * 2 };
  return { family: 'gbdt', settings: { ...base, gbdt }, label: `gbdt lr ${gbdt.learningRate}, depth ${gbdt.maxDepth}` };
}

/** Seconds a candidate is expected to take, from the last one of its family; trees scale with 1 / learning rate. */
function expectedMs(candidate: Candidate, last: { ms: number; learningRate: number } | undefined): number {
  if (!last) return 0;
  if (candidate.family !== 'gbdt') return last.ms * 1.2;
  return ((last.ms * last.learningRate) / candidate.settings.gbdt.learningRate) * 1.2;
}

const searchWeights: readonly ModelFamily[] = ['gbdt', 'gbdt', 'gbdt', 'mlp', 'mlp', 'linear'];

export async function runAuto(environment: PipelineEnvironment): Promise<{ runIds: string[]; bestRunId: string | null }> {
  const { request, report } = environment;
  const base = request.train;
  const task = request.features.task;
  const budgetMs = base.budgetSeconds * 1000;
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const random = mulberry32(base.seed);
  const outcomes: CandidateOutcome[] = [];
  const lastDuration = new Map<ModelFamily, { ms: number; learningRate: number }>();
  const seen = new Set<string>();
  let best: CandidateOutcome | null = null;

  // The defaults always finish; a search candidate still running when the budget ends is stopped.
  const budgetEnd = new AbortController();
  const attempt = async (candidate: Candidate, deadline?: AbortSignal): Promise<void> => {
    seen.add(JSON.stringify([candidate.family, candidate.settings[candidate.family]]));
    const index = outcomes.length + 1;
    report({
      type: 'stage',
      stage: 'training',
      message: `Auto candidate ${index}: ${candidate.label}`,
      fraction: Math.min(0.99, elapsed() / budgetMs),
    });
    const outcome = await fitCandidate(environment, candidate, deadline);
    outcomes.push(outcome);
    lastDuration.set(candidate.family, { ms: outcome.elapsedMs, learningRate: candidate.settings.gbdt.learningRate });
    if (outcome.error === null && isBetter(task, outcome.score, best?.score)) best = outcome;
    if (outcome.error === null && best === null) best = outcome;
  };

  for (const candidate of defaultCandidates(base)) await attempt(candidate);

  // Search only with a validation split: without one there is nothing honest to choose by.
  const canChoose = environment.prepared.y.valid !== null;
  let misses = 0;
  const cheapest = () => Math.min(...[...lastDuration.values()].map((last) => last.ms));
  for (let step = 0; canChoose && misses < 50; step++) {
    const candidate = step === 0 ? slowerTrees(base) : drawCandidate(pick(random, searchWeights), base, random);
    const key = JSON.stringify([candidate.family, candidate.settings[candidate.family]]);
    // A candidate that would not finish inside the budget is not started; a cheaper one may still fit.
    const expected = expectedMs(candidate, lastDuration.get(candidate.family));
    if (seen.has(key) || elapsed() + expected > budgetMs) {
      misses += 1;
      if (elapsed() + cheapest() > budgetMs) break;
      continue;
    }
    misses = 0;
    const timer = setTimeout(() => budgetEnd.abort(), Math.max(0, budgetMs - elapsed()));
    try {
      await attempt(candidate, budgetEnd.signal);
    } finally {
      clearTimeout(timer);
    }
    if (budgetEnd.signal.aborted) break;
  }

  const runIds = outcomes.map((outcome) => outcome.runId);
  const chosen = best as CandidateOutcome | null;
  if (chosen === null) {
    const reasons = outcomes.map((outcome) => outcome.error?.message).filter(Boolean);
    throw new KilnError('internal', `Every Auto candidate failed: ${reasons.join(' ') || 'no reason given'}`);
  }
  report({
    type: 'stage',
    stage: 'done',
    message: `Auto tried ${outcomes.length} models; the best on validation ${mainMetric(task).name} is ${chosen.result?.model ?? ''}`,
    fraction: 1,
  });
  return { runIds, bestRunId: chosen.runId };
}
