/**
 * How Auto turns its candidates' selection scores into a choice and into
 * warnings. The engine calls it to choose; the leaderboard calls it on the
 * stored runs to show the same warnings, so the two never disagree.
 */
import type { SelectionScore } from './api/evaluation.js';

export interface SelectionEntry {
  id: string;
  /** The family id. */
  model: string;
  /** A few words for the messages, e.g. "GBDT". */
  name: string;
  selection: SelectionScore;
}

export interface SelectionJudgement {
  chosenId: string | null;
  /** Why the choice is not simply the best score, when it is not. */
  reason: string | null;
  warnings: string[];
}

/** Fewer validation rows than this in a holdout, or per fold, and a few hundredths of AUC or accuracy are noise. */
export const FEW_HOLDOUT_ROWS = 1000;
export const FEW_FOLD_ROWS = 40;

function shown(value: number): string {
  return String(Number(value.toPrecision(3)));
}

function scoreText(selection: SelectionScore): string {
  if (selection.mean === null) return 'no score';
  return selection.std === null ? shown(selection.mean) : `${shown(selection.mean)} ± ${shown(selection.std)}`;
}

/**
 * Best by mean score; then the default linear model wins over any candidate
 * that does not beat it by more than that candidate's fold spread, since such
 * a lead is what the luck of the folds gives the best of many tries.
 */
export function judgeSelection(higherIsBetter: boolean, entries: SelectionEntry[]): SelectionJudgement {
  const scored = entries.filter((entry) => entry.selection.mean !== null && Number.isFinite(entry.selection.mean));
  if (scored.length === 0) return { chosenId: null, reason: null, warnings: [] };
  const lead = (a: SelectionEntry, b: SelectionEntry) => {
    const difference = a.selection.mean! - b.selection.mean!;
    return higherIsBetter ? difference : -difference;
  };
  let best = scored[0]!;
  for (const entry of scored.slice(1)) if (lead(entry, best) > 0) best = entry;

  let chosen = best;
  let reason: string | null = null;
  const reference = scored.find((entry) => entry.selection.role === 'reference');
  if (reference && reference !== best && best.selection.role !== 'baseline') {
    const spread = best.selection.std ?? 0;
    if (lead(best, reference) <= spread) {
      chosen = reference;
      reason =
        `${best.name} scored ${scoreText(best.selection)}, not better than the default ${reference.name} model ` +
        `(${scoreText(reference.selection)}) by more than its spread, so the simpler model is kept.`;
    }
  }

  const warnings: string[] = [];
  const metric = chosen.selection.metric.toUpperCase();
  const baseline = scored.find((entry) => entry.selection.role === 'baseline');
  if (baseline && baseline !== chosen) {
    const noise = chosen.selection.std ?? 0;
    if (lead(chosen, baseline) <= noise) {
      warnings.push(
        `The chosen model's ${metric} (${scoreText(chosen.selection)}) is within noise of the baseline that ignores the features ` +
          `(${scoreText(baseline.selection)}): the features may not predict the target, or there are too few rows to tell.`,
      );
    }
  } else if (baseline === chosen) {
    warnings.push(
      `No model beat the baseline that ignores the features (${metric} ${scoreText(baseline.selection)}): the features do not seem to predict the target.`,
    );
  }
  const { method, rows, foldScores } = chosen.selection;
  if (method === 'holdout' && rows < FEW_HOLDOUT_ROWS) {
    warnings.push(
      `The validation split has ${rows} rows, too few to tell the candidates apart reliably: the best of many may have been lucky on them.`,
    );
  }
  if (method === 'crossValidation' && foldScores.length > 0 && rows / foldScores.length < FEW_FOLD_ROWS) {
    warnings.push(
      `Each cross-validation fold has about ${Math.round(rows / foldScores.length)} rows: the scores are rough, and the choice between close candidates is a guess.`,
    );
  }
  return { chosenId: chosen.id, reason, warnings };
}
