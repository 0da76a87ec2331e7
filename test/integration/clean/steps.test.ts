import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CleanPreview, Dataset, JsonCell } from '../../../shared/api.js';
import type { CleanStepInput } from '../../../shared/recipe.js';
import type { Engine } from '../../../main/engine/engine.js';
import { createTestEngine, tempDir } from '../../helpers/engine.js';
import { importFile, writeCsv } from './helpers.js';

let engine: Engine;
let cleanup: () => Promise<void>;
let table: Dataset;

const weird = 'a"b c';

/** 40 rows: ids 1..40; rows 31..40 repeat rows 21..30 except for the id. Amounts are the source row, 29 is an outlier (10000), every 10th is missing. */
function rows(): string[] {
  const lines = ['id,"a""b c",é,amount,when,day_text,email'];
  for (let id = 1; id <= 40; id += 1) {
    const source = id > 30 ? id - 10 : id;
    const amount = source % 10 === 0 ? '' : source === 29 ? '10000' : String(source);
    const name = source % 7 === 0 ? '' : `  name ${source % 3}.`;
    const accent = source % 2 === 0 ? 'été' : 'hiver';
    const day = `2024-01-${String(source)
      .padStart(2, '0')
      .replace(/^3[2-9]|^[4-9]\d/, '28')}`;
    const text = `${String(source % 28 || 28).padStart(2, '0')}/02/2023`;
    lines.push(`${id},${name},${accent},${amount},${day},${text},person${source}@example.com`);
  }
  return lines;
}

async function preview(steps: CleanStepInput[]): Promise<CleanPreview> {
  return engine.call('clean.preview', { datasetId: table.id, steps, limit: 1000 });
}

function column(result: CleanPreview, name: string): JsonCell[] {
  const index = result.result.columns.findIndex((candidate) => candidate.name === name);
  if (index < 0) throw new Error(`no column ${name} in ${result.result.columns.map((c) => c.name).join(', ')}`);
  return result.result.rows.map((row) => row[index] ?? null);
}

beforeAll(async () => {
  ({ engine, cleanup } = await createTestEngine());
  const projectId = (await engine.call('projects.create', { name: 'Steps' })).id;
  table = await importFile(engine, projectId, await writeCsv(await tempDir(), 'steps.csv', rows()));
});

afterAll(async () => cleanup());

describe('cleaning steps on a small generated table', () => {
  it('reads the weird column names as they are', () => {
    expect(table.rowCount).toBe(40);
    expect(table.columns.map((c) => c.name)).toEqual(['id', weird, 'é', 'amount', 'when', 'day_text', 'email']);
  });

  it('works on columns named with quotes, spaces and accents', async () => {
    const result = await preview([
      { type: 'text', id: 't', columns: [weird], operation: 'trim' },
      { type: 'text', id: 'dot', columns: [weird], operation: 'removeTrailing', find: '.' },
      { type: 'impute', id: 'i', columns: [weird], method: 'constant', value: "it's missing" },
      { type: 'filterRows', id: 'f', condition: { column: 'é', operator: '=', value: 'été' } },
    ]);
    const names = column(result, weird);
    expect(new Set(names)).toEqual(new Set(['name 0', 'name 1', 'name 2', "it's missing"]));
    expect(column(result, 'é').every((value) => value === 'été')).toBe(true);
    expect(result.effects[2]?.columns).toEqual([{ column: weird, before: 6, after: 0 }]);
    expect(result.effects[3]?.rowsAfter).toBe(20);
  });

  it('filters with every kind of operator, never matching a missing value', async () => {
    const count = async (condition: object, keep: 'matching' | 'notMatching' = 'matching') =>
      (await preview([{ type: 'filterRows', id: 'f', condition, keep } as CleanStepInput])).result.totalRows;
    expect(await count({ column: 'amount', operator: '>', value: '25' })).toBe(8);
    expect(await count({ column: 'amount', operator: '<=', value: '5' })).toBe(5);
    expect(await count({ column: 'amount', operator: 'isMissing' })).toBe(4);
    expect(await count({ column: 'amount', operator: 'notMissing' })).toBe(36);
    expect(await count({ column: 'amount', operator: '!=', value: '1' })).toBe(35);
    expect(await count({ column: 'amount', operator: 'in', values: ['1', '2', '3'] })).toBe(3);
    expect(await count({ column: 'email', operator: 'startsWith', value: 'person1' })).toBe(11);
    expect(await count({ column: 'email', operator: 'contains', value: '2@' })).toBe(4);
    expect(await count({ column: 'amount', operator: 'isMissing' }, 'notMatching')).toBe(36);
    await expect(preview([{ type: 'filterRows', id: 'f', condition: { column: 'amount', operator: '>', value: 'ten' } }])).rejects.toThrow(
      /"ten" is not a number/,
    );
  });

  it('removes duplicates over all columns or a subset, keeping the first row in order', async () => {
    expect((await preview([{ type: 'removeDuplicates', id: 'd' }])).result.totalRows).toBe(40);
    const subset = await preview([{ type: 'removeDuplicates', id: 'd', columns: ['email', 'amount'] }]);
    expect(subset.result.totalRows).toBe(30);
    expect(column(subset, 'id')).toEqual(Array.from({ length: 30 }, (_, index) => index + 1));
    const dropped = await preview([
      { type: 'dropColumns', id: 'x', columns: ['id'] },
      { type: 'removeDuplicates', id: 'd' },
    ]);
    expect(dropped.effects[1]).toMatchObject({ rowsBefore: 40, rowsAfter: 30 });
  });

  it('clips by percentile and by IQR, leaving missing values missing', async () => {
    const percentile = await preview([{ type: 'clipOutliers', id: 'c', columns: ['amount'], method: 'percentile', low: 0.05, high: 0.95 }]);
    const bounds = percentile.effects[0]?.fitted?.amount as [number, number];
    const amounts = column(percentile, 'amount');
    expect(amounts.filter((value) => value === null)).toHaveLength(4);
    const present = amounts.filter((value): value is number => typeof value === 'number');
    expect(Math.max(...present)).toBeLessThanOrEqual(Math.round(bounds[1]));
    expect(Math.max(...present)).toBeLessThan(10000);
    const iqr = await preview([{ type: 'clipOutliers', id: 'c', columns: ['amount'], method: 'iqr', k: 1.5 }]);
    expect(Math.max(...column(iqr, 'amount').filter((value): value is number => typeof value === 'number'))).toBeLessThan(100);
  });

  it('parses dates into parts, from a date column and from text with a format', async () => {
    const result = await preview([
      { type: 'parseDate', id: 'p', column: 'when', parts: ['year', 'month', 'day', 'weekday'] },
      { type: 'parseDate', id: 'q', column: 'day_text', format: '%d/%m/%Y', parts: ['month', 'day'], dropOriginal: true },
    ]);
    expect(column(result, 'when_year')[0]).toBe(2024);
    expect(column(result, 'when_month')[0]).toBe(1);
    expect(column(result, 'when_day')[14]).toBe(15);
    // 15 January 2024 was a Monday.
    expect(column(result, 'when_weekday')[14]).toBe(1);
    expect(column(result, 'day_text_month')[0]).toBe(2);
    expect(column(result, 'day_text_day')[2]).toBe(3);
    expect(result.result.columns.some((c) => c.name === 'day_text')).toBe(false);
  });

  it('hashes or masks personal data', async () => {
    const hashed = await preview([{ type: 'maskPersonal', id: 'm', columns: ['email'], method: 'sha256' }]);
    expect(column(hashed, 'email')[0]).toBe(createHash('sha256').update('person1@example.com').digest('hex'));
    const masked = await preview([{ type: 'maskPersonal', id: 'm', columns: ['email'], method: 'mask', keepLast: 4 }]);
    expect(column(masked, 'email')[0]).toBe(`${'*'.repeat('person1@example.com'.length - 4)}.com`);
  });

  it('imputes with mean, median and most frequent values learnt from the data', async () => {
    const median = await preview([{ type: 'impute', id: 'i', columns: ['amount'], method: 'median' }]);
    expect(column(median, 'amount').includes(null)).toBe(false);
    // 36 values: the 18th and 19th are 19 and 21.
    expect(median.effects[0]?.fitted?.amount).toBe(20);
    const mean = await preview([{ type: 'impute', id: 'i', columns: ['amount'], method: 'mean' }]);
    const expectedMean = (2 * (21 + 22 + 23 + 24 + 25 + 26 + 27 + 28) + 45 + 135 + 20_000) / 36;
    expect(mean.effects[0]?.fitted?.amount).toBeCloseTo(expectedMean, 6);
    expect(column(mean, 'amount')[9]).toBe(Math.round(expectedMean));
    const cast = await preview([
      { type: 'castType', id: 'c', columns: ['amount'], to: 'VARCHAR' },
      { type: 'impute', id: 'i', columns: ['amount'], method: 'mostFrequent' },
    ]);
    expect(cast.result.columns.find((c) => c.name === 'amount')?.type).toBe('VARCHAR');
    await expect(preview([{ type: 'impute', id: 'i', columns: ['amount'], method: 'constant', value: 'lots' }])).rejects.toThrow(
      /"lots" cannot be stored in column "amount"/,
    );
  });

  it('changes nothing with disabled steps', async () => {
    const original = await preview([]);
    const disabled = await preview([
      { type: 'dropColumns', id: 'a', enabled: false, columns: ['id'] },
      { type: 'filterRows', id: 'b', enabled: false, condition: { column: 'amount', operator: 'isMissing' } },
      { type: 'maskPersonal', id: 'c', enabled: false, columns: ['email'], method: 'sha256' },
    ]);
    expect(disabled.result).toEqual(original.result);
    for (const effect of disabled.effects) {
      expect(effect.rowsBefore).toBe(effect.rowsAfter);
      expect(effect.columns).toEqual([]);
      expect(effect.enabled).toBe(false);
    }
    await expect(
      engine.call('clean.apply', { datasetId: table.id, steps: [{ type: 'dropColumns', id: 'a', enabled: false, columns: ['id'] }] }),
    ).rejects.toThrow(/no enabled cleaning steps/);
  });

  it('drops rows with missing values in any or all of the chosen columns', async () => {
    expect((await preview([{ type: 'dropMissingRows', id: 'd', columns: ['amount'], how: 'any' }])).result.totalRows).toBe(36);
    expect((await preview([{ type: 'dropMissingRows', id: 'd', columns: ['amount', weird], how: 'all' }])).result.totalRows).toBe(40);
    expect((await preview([{ type: 'dropMissingRows', id: 'd' }])).result.totalRows).toBe(30);
  });
});
