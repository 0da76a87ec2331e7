/**
 * Auto: every family with its defaults first (the baseline that ignores the
 * features among them), then a small seeded random search over the
 * hyperparameters that matter most, while the time budget lasts. Each
 * candidate is its own run, so the leaderboard fills as it goes. On small data
 * the candidates are scored by k-fold cross-validation of the training and
 * validation rows, and each kept model is fitted on all of them; large data
 * keeps the validation split. The test split is scored for each run but never
 * read here. The default linear model is kept over a candidate whose lead is
 * within its fold spread (shared/selection.ts).
 */
import type { ModelFamily, TrainResult, TrainSettings } from '../../../shared/api/train.js';
import { KilnError } from '../../../shared/errors.js';
import { judgeSelection, type SelectionEntry } from '../../../shared/selection.js';
import type { Flavor, SearchContext } from '../models/flavor.js';
import { flavorOf, flavors } from '../models/registry.js';
import { fitCandidate, type Candidate, type CandidateOutcome, type PipelineEnvironment } from './candidate.js';
import { mainMetric } from './evaluation.js';
import { CROSS_VALIDATION_ROWS, crossValidationData, DEFAULT_FOLDS, type CrossValidation } from './folds.js';
import { mulberry32, pick } from './random.js';

function asCandidate(flavor: Flavor, base: TrainSettings, draw: { params: TrainSettings[ModelFamily]; label: string }): Candidate {
  return { family: flavor.id, settings: { ...base, [flavor.id]: draw.params }, label: draw.label };
}

/** A variation of the defaults for `family`, drawn from its search space. */
export function drawCandidate(family: ModelFamily, base: TrainSettings, random: () => number, context: SearchContext): Candidate {
  const flavor = flavorOf(family);
  return asCandidate(flavor, base, flavor.draw(base[family], random, context));
}

/** Every family's defaults, in the registry's order (strongest first on typical tabular data), so a short budget still gets the likely winner. */
export function defaultCandidates(base: TrainSettings): Candidate[] {
  return flavors.map((flavor) => ({ family: flavor.id, settings: base, label: `${flavor.id}, defaults`, defaults: true }));
}

/** The families' fixed first search steps (the boosted trees' slower learning rate), tried before any draw. */
export function firstSteps(base: TrainSettings): Candidate[] {
  return flavors.flatMap((flavor) => {
    const step = flavor.firstStep(base[flavor.id]);
    return step ? [asCandidate(flavor, base, step)] : [];
  });
}

/** Fewer pooled rows than this per fold, and cross-validation is not worth it: the validation split is used. */
const MIN_ROWS_PER_FOLD = 10;

/** Cross-validation when the training rows (train + validation) are few; null keeps the validation split. */
export function chooseCrossValidation(environment: PipelineEnvironment): CrossValidation | null {
  const { raw, request, classes } = environment;
  if (raw.valid === null) return null;
  const rows = raw.train.rows + raw.valid.rows;
  if (rows >= CROSS_VALIDATION_ROWS || rows < DEFAULT_FOLDS * MIN_ROWS_PER_FOLD) return null;
  return crossValidationData(
    request.features,
    classes,
    { train: raw.train, valid: raw.valid, test: raw.test },
    DEFAULT_FOLDS,
    request.train.seed,
  );
}

/** A family's share of the draws, repeated by its weight. */
const searchWeights: readonly ModelFamily[] = flavors.flatMap((flavor) => Array.from({ length: flavor.autoWeight }, () => flavor.id));

interface LastRun {
  ms: number;
  cost: number;
}

/** Milliseconds a candidate is expected to take, from the last one of its family scaled by the family's cost measure. */
function expectedMs(candidate: Candidate, last: LastRun | undefined): number {
  if (!last) return 0;
  const cost = flavorOf(candidate.family).cost(candidate.settings[candidate.family]);
  return ((last.ms * cost) / last.cost) * 1.2;
}

function candidateKey(candidate: Candidate): string {
  return JSON.stringify([candidate.family, flavorOf(candidate.family).resolve(candidate.settings[candidate.family])]);
}

export async function runAuto(environment: PipelineEnvironment): Promise<TrainResult> {
  const { request, report } = environment;
  const base = request.train;
  const task = request.features.task;
  const budgetMs = base.budgetSeconds * 1000;
  const started = performance.now();
  const elapsed = () => performance.now() - started;
  const random = mulberry32(base.seed);
  const outcomes: CandidateOutcome[] = [];
  const lastDuration = new Map<ModelFamily, LastRun>();
  const seen = new Set<string>();

  if (environment.raw.valid !== null) {
    report({ type: 'stage', stage: 'preparing', message: 'Preparing the cross-validation folds', fraction: 0.03 });
  }
  const crossValidation = chooseCrossValidation(environment);

  // The defaults always finish; a search candidate still running when the budget ends is stopped.
  const budgetEnd = new AbortController();
  const attempt = async (candidate: Candidate, deadline?: AbortSignal): Promise<void> => {
    seen.add(candidateKey(candidate));
    const index = outcomes.length + 1;
    report({
      type: 'stage',
      stage: 'training',
      message: `Auto candidate ${index}: ${candidate.label}`,
      fraction: Math.min(0.99, elapsed() / budgetMs),
    });
    const outcome = await fitCandidate(environment, candidate, {
      ...(deadline ? { deadline } : {}),
      ...(crossValidation ? { crossValidation } : {}),
      recordSelection: true,
    });
    outcomes.push(outcome);
    lastDuration.set(candidate.family, {
      ms: outcome.elapsedMs,
      cost: flavorOf(candidate.family).cost(candidate.settings[candidate.family]),
    });
  };

  for (const candidate of defaultCandidates(base)) await attempt(candidate);

  // Search only with a validation split (or folds): without one there is nothing honest to choose by.
  const canChoose = environment.prepared.y.valid !== null;
  let misses = 0;
  const cheapest = () => Math.min(...[...lastDuration.values()].map((last) => last.ms));
  const fixed = firstSteps(base);
  const searchContext: SearchContext = {
    task,
    trainRows: crossValidation ? crossValidation.full.y.train.length : environment.prepared.y.train.length,
  };
  for (let step = 0; canChoose && misses < 50; step++) {
    const candidate = step < fixed.length ? fixed[step]! : drawCandidate(pick(random, searchWeights), base, random, searchContext);
    const key = candidateKey(candidate);
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
  const succeeded = outcomes.filter((outcome) => outcome.error === null);
  if (succeeded.length === 0) {
    const reasons = outcomes.map((outcome) => outcome.error?.message).filter(Boolean);
    throw new KilnError('internal', `Every Auto candidate failed: ${reasons.join(' ') || 'no reason given'}`);
  }
  const entries: SelectionEntry[] = succeeded.flatMap((outcome) =>
    outcome.selection && outcome.result
      ? [{ id: outcome.runId, model: outcome.result.model, name: familyName(outcome.result.model, task), selection: outcome.selection }]
      : [],
  );
  const metric = mainMetric(task);
  const judgement = judgeSelection(metric.higherIsBetter, entries);
  // Without a validation split nothing was scored: the first success stands, as before.
  const bestRunId = judgement.chosenId ?? succeeded[0]!.runId;
  const chosen = succeeded.find((outcome) => outcome.runId === bestRunId);
  const how = crossValidation ? `${crossValidation.folds.length}-fold cross-validation` : 'validation';
  report({
    type: 'stage',
    stage: 'done',
    message: `Auto tried ${outcomes.length} models; the best on ${how} ${metric.name} is ${chosen?.result?.model ?? ''}`,
    fraction: 1,
  });
  return {
    runIds,
    bestRunId,
    selection: crossValidation ? 'crossValidation' : canChoose ? 'holdout' : null,
    reason: judgement.reason,
    warnings: judgement.warnings,
  };
}

function familyName(model: ModelFamily, task: TrainSettings['model'] | string): string {
  const info = flavorOf(model).info;
  return task === 'regression' ? info.shortLabel : (info.classifierLabel ?? info.shortLabel);
}
