import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KilnError } from '../../../shared/errors.js';
import type { Engine } from '../../../main/engine/engine.js';
import { createTestEngine } from '../../helpers/engine.js';

async function dispatchError(engine: Engine, method: unknown, input: unknown): Promise<KilnError> {
  try {
    await engine.dispatch(method, input);
  } catch (error) {
    expect(error).toBeInstanceOf(KilnError);
    return error as KilnError;
  }
  throw new Error(`dispatch(${JSON.stringify(method)}) should have thrown`);
}

describe('Engine.dispatch validates arguments at the boundary', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ engine, cleanup } = await createTestEngine());
  });

  afterAll(async () => {
    await cleanup();
  });

  it('an empty project name is invalid_argument naming the field name', async () => {
    const error = await dispatchError(engine, 'projects.create', { name: '' });
    expect(error.code).toBe('invalid_argument');
    expect(error.field).toBe('name');
    expect(error.message).toContain('A project needs a name.');
  });

  it('a name of spaces only is refused too, since names are trimmed', async () => {
    const error = await dispatchError(engine, 'projects.create', { name: '   ' });
    expect(error.field).toBe('name');
  });

  it('a missing or mistyped argument names its field', async () => {
    expect((await dispatchError(engine, 'projects.create', {})).field).toBe('name');
    expect((await dispatchError(engine, 'projects.create', { name: 42 })).field).toBe('name');
    expect((await dispatchError(engine, 'datasets.preview', { datasetId: 'ds_x', limit: 0 })).field).toBe('limit');
    expect((await dispatchError(engine, 'datasets.import', { projectId: 'prj_x', path: '' })).field).toBe('path');
  });

  it('an unknown method is invalid_argument naming the field method', async () => {
    const error = await dispatchError(engine, 'projects.explode', {});
    expect(error.code).toBe('invalid_argument');
    expect(error.field).toBe('method');
    expect(error.message).toContain('projects.explode');
    expect((await dispatchError(engine, 42, {})).field).toBe('method');
    // Inherited object keys are not methods.
    expect((await dispatchError(engine, 'toString', {})).field).toBe('method');
  });

  it('valid arguments reach the handler and missing records are not_found', async () => {
    const project = (await engine.dispatch('projects.create', { name: '  Census  ' })) as { id: string; name: string };
    expect(project.name).toBe('Census');
    const error = await dispatchError(engine, 'projects.get', { projectId: 'prj_missing' });
    expect(error.code).toBe('not_found');
    expect(error.field).toBe('projectId');
  });
});
