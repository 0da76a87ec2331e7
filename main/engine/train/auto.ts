/**
 * Auto: every family with its defaults first, then a small seeded random
 * search over the hyperparameters that matter most, while the time budget
 * lasts. Each candidate is its own run, so the leaderboard fills as it goes;
 * the best is chosen on the validation metric only (the test split is scored
 * for each run but never read here).
 */
import type { ModelFamily, TrainSettings } from '../../../shared/api/train.js';
import { KilnError } from '../../../shared/errors.js';
import type { Flavor, SearchContext } from '../models/flavor.js';
import { flavorOf, flavors } from '../models/registry.js';
import { fitCandidate, type Candidate, type CandidateOutcome, type PipelineEnvironment } from './candidate.js';
import { isBetter, mainMetric } from './evaluation.js';
import { mulberry32 } from './random.js';

function pick<T>(random: () => number, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)] as T;
}

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
  return flavors.map((flavor) => ({ family: flavor.id, settings: base, label: `${flavor.id}, defaults` }));
}

/** The families' fixed first search steps (the boosted trees' slower learning rate), tried before any draw. */
export function firstSteps(base: TrainSettings): Candidate[] {
  return flavors.flatMap((flavor) => {
    const step = flavor.firstStep(base[flavor.id]);
    return step ? [asCandidate(flavor, base, step)] : [];
  });
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

export async function runAuto(environment: PipelineEnvironment): Promise<{ runIds: string[]; bestRunId: string | null }> {
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
  let best: CandidateOutcome | null = null;

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
    const outcome = await fitCandidate(environment, candidate, deadline);
    outcomes.push(outcome);
    lastDuration.set(candidate.family, {
      ms: outcome.elapsedMs,
      cost: flavorOf(candidate.family).cost(candidate.settings[candidate.family]),
    });
    if (outcome.error === null && isBetter(task, outcome.score, best?.score)) best = outcome;
    if (outcome.error === null && best === null) best = outcome;
  };

  for (const candidate of defaultCandidates(base)) await attempt(candidate);

  // Search only with a validation split: without one there is nothing honest to choose by.
  const canChoose = environment.prepared.y.valid !== null;
  let misses = 0;
  const cheapest = () => Math.min(...[...lastDuration.values()].map((last) => last.ms));
  const fixed = firstSteps(base);
  const searchContext: SearchContext = { task, trainRows: environment.prepared.y.train.length };
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
