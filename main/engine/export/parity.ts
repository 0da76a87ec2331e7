/**
 * Proof that an exported ONNX graph computes what the app computes: the same
 * raw rows through onnxruntime-node and through the app's model, compared
 * probability by probability (or value by value) and label by label. An
 * export that fails here must not be handed out.
 */
import * as ort from 'onnxruntime-node';
import type { ModelFamily } from '../../../shared/api/train.js';
import { KilnError } from '../../../shared/errors.js';
import type { PreprocessingSpec } from '../train/types.js';
import { decodeModel } from './onnx/graph.js';
import { METADATA_KEYS, OUTPUT_LABEL, OUTPUT_PREDICTION, OUTPUT_PROBABILITIES, type OnnxInputField } from './onnx/pipeline.js';
import { predictReference } from './onnx/reference.js';
import { categoricalCell, MISSING_CATEGORY, numericCell, rowsToRawColumns, type RawRow } from './onnx/rows.js';

/** The largest difference allowed in a probability; regression values get it relative to their size (at least 1e-5 absolute). */
export const PARITY_TOLERANCE = 1e-5;
/** Mismatches kept in full; the count covers them all. */
export const MISMATCHES_KEPT = 20;
/** Rows per ORT run, to bound the tensors' memory on large held-out sets. */
const BATCH_ROWS = 4096;

export interface ParityExpected {
  /** Classification: rows × classes, row-major. */
  probabilities?: Float64Array;
  /** Regression: one value per row. */
  values?: Float64Array;
  /** Classification: the class name per row. */
  labels?: string[];
}

export interface RowOutcome {
  label?: string;
  probabilities?: number[];
  value?: number;
}

export interface ParityMismatch {
  /** 0-based index into the rows. */
  row: number;
  expected: RowOutcome;
  actual: RowOutcome;
  /** The largest difference in the row's probabilities or value. */
  absDiff: number;
}

export interface ParityReport {
  rows: number;
  /** Over every probability (or value) of every row. */
  maxAbsDiff: number;
  mismatchCount: number;
  /** The first MISMATCHES_KEPT rows that differ. */
  mismatches: ParityMismatch[];
}

function inputSchemaOf(onnxBytes: Uint8Array): OnnxInputField[] {
  const model = decodeModel(onnxBytes);
  const entry = model.metadataProps.find((prop) => prop.key === METADATA_KEYS.inputSchema);
  if (!entry?.value)
    throw new KilnError('bad_input', `The ONNX model has no ${METADATA_KEYS.inputSchema} metadata; it was not written by Kiln.`, 'onnx');
  return JSON.parse(entry.value) as OnnxInputField[];
}

function feedsFor(fields: OnnxInputField[], rows: readonly RawRow[], start: number, end: number): Record<string, ort.Tensor> {
  const count = end - start;
  const feeds: Record<string, ort.Tensor> = {};
  for (const field of fields) {
    if (field.type === 'double') {
      const values = new Float64Array(count);
      for (let row = start; row < end; row++) values[row - start] = numericCell(rows[row]![field.name], field.name, row);
      feeds[field.name] = new ort.Tensor('float64', values, [count, 1]);
    } else {
      const values: string[] = new Array<string>(count);
      for (let row = start; row < end; row++) values[row - start] = categoricalCell(rows[row]![field.name]) ?? MISSING_CATEGORY;
      feeds[field.name] = new ort.Tensor('string', values, [count, 1]);
    }
  }
  return feeds;
}

function checkExpected(expected: ParityExpected, rows: number): number {
  if (expected.probabilities) {
    if (rows === 0 || expected.probabilities.length % rows !== 0) {
      throw new KilnError(
        'bad_input',
        `The expected probabilities (${expected.probabilities.length}) do not split into ${rows} rows.`,
        'expected',
      );
    }
    if (!expected.labels || expected.labels.length !== rows) {
      throw new KilnError('bad_input', `Expected labels for the ${rows} rows are required with probabilities.`, 'expected');
    }
    return expected.probabilities.length / rows;
  }
  if (!expected.values || expected.values.length !== rows) {
    throw new KilnError('bad_input', `Expected probabilities or ${rows} expected values are required.`, 'expected');
  }
  return 0;
}

/** Runs the rows through onnxruntime-node and compares with the expected outputs. */
export async function checkParity(input: {
  onnxBytes: Uint8Array;
  rows: readonly RawRow[];
  expected: ParityExpected;
}): Promise<ParityReport> {
  const { onnxBytes, rows, expected } = input;
  const width = checkExpected(expected, rows.length);
  const fields = inputSchemaOf(onnxBytes);
  const session = await ort.InferenceSession.create(onnxBytes);
  const report: ParityReport = { rows: rows.length, maxAbsDiff: 0, mismatchCount: 0, mismatches: [] };
  try {
    for (let start = 0; start < rows.length; start += BATCH_ROWS) {
      const end = Math.min(rows.length, start + BATCH_ROWS);
      const results = await session.run(feedsFor(fields, rows, start, end));
      if (width > 0) {
        const probabilities = results[OUTPUT_PROBABILITIES]?.data;
        const labels = results[OUTPUT_LABEL]?.data;
        if (!(probabilities instanceof Float64Array) || !Array.isArray(labels)) {
          throw new KilnError(
            'bad_input',
            `The ONNX model does not output double ${OUTPUT_PROBABILITIES} and string ${OUTPUT_LABEL}.`,
            'onnx',
          );
        }
        if (probabilities.length !== (end - start) * width) {
          throw new KilnError(
            'bad_input',
            `The ONNX model gives ${probabilities.length / (end - start)} probabilities per row; the app gives ${width}.`,
            'onnx',
          );
        }
        for (let row = start; row < end; row++) {
          let diff = 0;
          for (let k = 0; k < width; k++) {
            diff = Math.max(diff, Math.abs(probabilities[(row - start) * width + k]! - expected.probabilities![row * width + k]!));
          }
          if (Number.isNaN(diff)) diff = Number.POSITIVE_INFINITY;
          report.maxAbsDiff = Math.max(report.maxAbsDiff, diff);
          const actualLabel = String(labels[row - start]);
          if (diff > PARITY_TOLERANCE || actualLabel !== expected.labels![row]) {
            report.mismatchCount++;
            if (report.mismatches.length < MISMATCHES_KEPT) {
              report.mismatches.push({
                row,
                absDiff: diff,
                expected: {
                  label: expected.labels![row]!,
                  probabilities: Array.from(expected.probabilities!.subarray(row * width, (row + 1) * width)),
                },
                actual: {
                  label: actualLabel,
                  probabilities: Array.from(probabilities.subarray((row - start) * width, (row - start + 1) * width)),
                },
              });
            }
          }
        }
      } else {
        const values = results[OUTPUT_PREDICTION]?.data;
        if (!(values instanceof Float64Array) || values.length !== end - start) {
          throw new KilnError('bad_input', `The ONNX model does not output one double ${OUTPUT_PREDICTION} per row.`, 'onnx');
        }
        for (let row = start; row < end; row++) {
          const want = expected.values![row]!;
          const got = values[row - start]!;
          let diff = Math.abs(got - want);
          if (Number.isNaN(diff)) diff = Number.POSITIVE_INFINITY;
          report.maxAbsDiff = Math.max(report.maxAbsDiff, diff);
          // The trees' ensemble sums in float32 (ai.onnx.ml 3), so large targets are held to a relative bar.
          if (diff > PARITY_TOLERANCE * Math.max(1, Math.abs(want))) {
            report.mismatchCount++;
            if (report.mismatches.length < MISMATCHES_KEPT)
              report.mismatches.push({ row, absDiff: diff, expected: { value: want }, actual: { value: got } });
          }
        }
      }
    }
  } finally {
    await session.release();
  }
  return report;
}

function describeOutcome(outcome: RowOutcome): string {
  if (outcome.value !== undefined) return String(outcome.value);
  const probabilities = (outcome.probabilities ?? []).map((p) => p.toPrecision(8)).join(', ');
  return `${JSON.stringify(outcome.label)} [${probabilities}]`;
}

/** Rows are named 1-based, as a person counts the rows of a file. */
export function describeMismatch(mismatch: ParityMismatch): string {
  return `row ${mismatch.row + 1}: expected ${describeOutcome(mismatch.expected)}, ONNX gave ${describeOutcome(mismatch.actual)}`;
}

/** Throws a bad_input KilnError naming the first differing rows when the report is not clean. */
export function assertParity(report: ParityReport): ParityReport {
  if (report.mismatchCount === 0) return report;
  const shown = report.mismatches.slice(0, 3).map(describeMismatch).join('; ');
  throw new KilnError(
    'bad_input',
    `ONNX parity failed: ${report.mismatchCount} of ${report.rows} rows differ by more than ${PARITY_TOLERANCE.toExponential()} or in their label (first: ${shown}).`,
    'parity',
  );
}

/** Checks an exported graph against the app's prediction from the same stored spec and model; throws when they disagree. */
export async function verifyExport(input: {
  onnxBytes: Uint8Array;
  family: ModelFamily;
  spec: PreprocessingSpec;
  model: unknown;
  rows: readonly RawRow[];
  threshold?: number;
}): Promise<ParityReport> {
  const expected = predictReference({
    family: input.family,
    spec: input.spec,
    model: input.model,
    raw: rowsToRawColumns(input.spec, input.rows),
    ...(input.threshold !== undefined ? { threshold: input.threshold } : {}),
  });
  return assertParity(await checkParity({ onnxBytes: input.onnxBytes, rows: input.rows, expected }));
}
