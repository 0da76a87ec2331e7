import { describe, expect, it } from 'vitest';
import type { ColumnInfo } from '../../../shared/api.js';
import { CleanStep, Recipe, describeRecipeError, type CleanStepInput } from '../../../shared/recipe.js';
import { CteChain, compileStep, fitQuery, typedLiteral } from '../../../main/engine/data/clean.js';
import { cleanVersion } from '../../../main/engine/data/cleanApply.js';

const weird = 'a"b c';
const columns: ColumnInfo[] = [
  { name: weird, type: 'VARCHAR' },
  { name: 'é', type: 'DOUBLE' },
  { name: "it's", type: 'BIGINT' },
  { name: '__kiln_row', type: 'BIGINT' },
];
const at = { index: 0, field: 'steps.0' };
const step = (input: CleanStepInput) => CleanStep.parse(input);

describe('compiling cleaning steps to SQL', () => {
  it('quotes identifiers with quotes, spaces and accents', () => {
    const sql = compileStep(step({ type: 'dropColumns', id: 's', columns: [weird, 'é'] }), 'prev', columns, null, at);
    expect(sql).toBe('SELECT * EXCLUDE ("a""b c", "é") FROM prev');
  });

  it('quotes literals, so a quote in a value cannot end the string', () => {
    const sql = compileStep(
      step({ type: 'filterRows', id: 's', condition: { column: weird, operator: '=', value: "x' OR 1=1 --" } }),
      'prev',
      columns,
      null,
      at,
    );
    expect(sql).toBe(`SELECT * FROM prev WHERE coalesce("a""b c" = TRY_CAST('x'' OR 1=1 --' AS VARCHAR), false)`);
  });

  it('fills with the fitted value cast to the column type, rounding for integers', () => {
    const impute = step({ type: 'impute', id: 's', columns: ["it's", 'é'], method: 'mean' });
    expect(fitQuery(impute, 'prev', columns, at)).toBe(
      `SELECT (SELECT avg("it's") FROM prev) AS "f0", (SELECT avg("é") FROM prev) AS "f1"`,
    );
    expect(compileStep(impute, 'prev', columns, { "it's": 38.6, é: 1.25 }, at)).toBe(
      `SELECT * REPLACE (coalesce("it's", CAST(39 AS BIGINT)) AS "it's", coalesce("é", CAST(1.25 AS DOUBLE)) AS "é") FROM prev`,
    );
    expect(typedLiteral("O'Neil", 'VARCHAR')).toBe(`CAST('O''Neil' AS VARCHAR)`);
  });

  it('refuses a mean of a text column and a missing column, naming the step and field', () => {
    expect(() => fitQuery(step({ type: 'impute', id: 's', columns: [weird], method: 'mean' }), 'prev', columns, at)).toThrow(
      /Step 1 \(Fill missing values\): "a\\"b c" is varchar, not a number/,
    );
    try {
      compileStep(step({ type: 'castType', id: 's', columns: ['nope'], to: 'DOUBLE' }), 'prev', columns, null, {
        index: 2,
        field: 'steps.2',
      });
      expect.unreachable();
    } catch (error) {
      expect((error as { field: string }).field).toBe('steps.2.columns.0');
    }
  });

  it('keeps missing values missing when clipping', () => {
    const sql = compileStep(step({ type: 'clipOutliers', id: 's', columns: ['é'], method: 'iqr' }), 'prev', columns, { é: [1, 9] }, at);
    expect(sql).toContain('CASE WHEN "é" < CAST(1 AS DOUBLE)');
    expect(sql).not.toMatch(/least|greatest/);
  });

  it('deduplicates on the user columns only, keeping the first row', () => {
    const sql = compileStep(step({ type: 'removeDuplicates', id: 's' }), 'prev', columns, null, at);
    expect(sql).toBe(`SELECT * FROM prev QUALIFY row_number() OVER (PARTITION BY "a""b c", "é", "it's" ORDER BY "__kiln_row") = 1`);
  });

  it('names date parts after the column and quotes them', () => {
    const sql = compileStep(step({ type: 'parseDate', id: 's', column: weird, parts: ['year', 'weekday'] }), 'prev', columns, null, at);
    expect(sql).toContain(`AS "a""b c_year"`);
    expect(sql).toContain(`isodow(TRY_CAST(CAST("a""b c" AS VARCHAR) AS TIMESTAMP)) AS "a""b c_weekday"`);
  });

  it('chains steps as CTEs and orders the result by the original row', () => {
    const chain = new CteChain('SELECT 1 AS x, 0 AS "__kiln_row"');
    chain.add('SELECT * FROM kiln_source');
    expect(chain.resultQuery(5)).toBe(
      'WITH kiln_source AS (SELECT 1 AS x, 0 AS "__kiln_row"),\nkiln_step_1 AS (SELECT * FROM kiln_source)\nSELECT * EXCLUDE ("__kiln_row") FROM kiln_step_1 ORDER BY "__kiln_row" LIMIT 5',
    );
  });
});

describe('the recipe schema', () => {
  it('names the invalid field of a bad step', () => {
    const parsed = Recipe.safeParse({ schemaVersion: 1, clean: [{ type: 'text', id: 't', columns: ['Y'], operation: 'removeTrailing' }] });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(describeRecipeError(parsed.error).field).toBe('clean.0.find');
    const split = Recipe.safeParse({ schemaVersion: 1, split: { train: 0.7, valid: 0.2, test: 0.2 } });
    expect(split.success).toBe(false);
  });

  it('gives versions that ignore ids, notes and disabled steps but not settings', () => {
    const base = [step({ type: 'dropColumns', id: 'a', columns: ['x'] })];
    const renamed = [
      step({ type: 'dropColumns', id: 'b', note: 'why', columns: ['x'] }),
      step({ type: 'dropColumns', id: 'c', enabled: false, columns: ['y'] }),
    ];
    expect(cleanVersion('v1', renamed)).toBe(cleanVersion('v1', base));
    expect(cleanVersion('v2', base)).not.toBe(cleanVersion('v1', base));
    expect(cleanVersion('v1', [step({ type: 'dropColumns', id: 'a', columns: ['y'] })])).not.toBe(cleanVersion('v1', base));
  });
});
