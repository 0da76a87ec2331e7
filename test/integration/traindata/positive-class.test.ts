/** The default positive class of a binary target is its rarer class, whatever the label order. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../main/engine/engine.js';
import { suggestFeatures } from '../../../main/engine/train/features.js';
import { createTestEngine, tempDir } from '../../helpers/engine.js';
import { importFile, writeCsv } from '../clean/helpers.js';

let engine: Engine;
let cleanup: () => Promise<void>;
let projectId: string;
let dir: string;

beforeAll(async () => {
  ({ engine, cleanup } = await createTestEngine());
  projectId = (await engine.call('projects.create', { name: 'Positive class' })).id;
  dir = await tempDir();
});

afterAll(async () => {
  await cleanup();
});

const rows = (count: number, rare: string, common: string) =>
  Array.from({ length: count }, (_, index) => `${index % 9},${index % 4 === 0 ? rare : common}`);

describe('the default positive class', () => {
  it('is the minority class when it comes first in label order', async () => {
    const data = await importFile(engine, projectId, await writeCsv(dir, 'credit.csv', ['x,risk', ...rows(80, 'bad', 'good')]));
    const suggestion = await suggestFeatures(engine.context, data.id);
    expect(suggestion.settings.task).toBe('binary');
    expect(suggestion.classes).toEqual(['bad', 'good']);
    expect(suggestion.settings.positiveClass).toBe('bad');
  });

  it('is the minority class when it comes last in label order', async () => {
    const data = await importFile(engine, projectId, await writeCsv(dir, 'churn.csv', ['x,churned', ...rows(80, 'churn', 'active')]));
    const suggestion = await suggestFeatures(engine.context, data.id);
    expect(suggestion.settings.positiveClass).toBe('churn');
  });
});
