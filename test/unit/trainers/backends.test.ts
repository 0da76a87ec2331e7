import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BACKEND_ORDER, listBackends, selectBackend } from '../../../main/engine/train/backends.js';
import { KilnError } from '../../../shared/errors.js';

describe('compute backends', () => {
  it('lists all four in order of preference, each with a device or a reason', async () => {
    const backends = await listBackends();
    expect(backends.map((backend) => backend.name)).toEqual([...BACKEND_ORDER]);
    for (const backend of backends) expect(backend.detail.length).toBeGreaterThan(5);
    const byName = Object.fromEntries(backends.map((backend) => [backend.name, backend]));
    expect(byName.cpu).toEqual({ name: 'cpu', available: true, detail: 'CPU (JavaScript)' });
    expect(byName.wasm!.available).toBe(true);
    expect(byName.wasm!.detail).toMatch(/^CPU \(wasm( SIMD)?, \d+ threads?\)$/);
    // tfjs-node cannot be installed here (it downloads libtensorflow).
    expect(byName.tensorflow).toEqual({
      name: 'tensorflow',
      available: false,
      detail: 'not installed: npm install @tensorflow/tfjs-node (needs internet for libtensorflow)',
    });
  });

  it('reports webgpu as unavailable with the reason when Dawn finds no adapter, and refuses to select it', async () => {
    const webgpu = (await listBackends()).find((backend) => backend.name === 'webgpu')!;
    if (webgpu.available) {
      // A machine with a GPU: the detail is the adapter's name, and selecting it works.
      expect(await selectBackend('webgpu')).toEqual({ name: 'webgpu', device: webgpu.detail });
      return;
    }
    expect(webgpu.detail).toMatch(/^Dawn found no GPU adapter/);
    const error: unknown = await selectBackend('webgpu').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KilnError);
    expect(error).toMatchObject({ code: 'bad_input', field: 'backend', message: `The webgpu backend is not available: ${webgpu.detail}.` });
    await expect(selectBackend('tensorflow')).rejects.toThrow(/^The tensorflow backend is not available: not installed/);
  });

  it('selects a chosen backend, or the fastest available for auto', async () => {
    expect(await selectBackend('cpu')).toEqual({ name: 'cpu', device: 'CPU (JavaScript)' });
    expect(tf.getBackend()).toBe('cpu');
    const wasm = await selectBackend('wasm');
    expect(wasm.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    // The wasm backend computes, not just loads.
    expect(Array.from(tf.tidy(() => tf.matMul(tf.ones([2, 3]), tf.ones([3, 2]))).dataSync())).toEqual([3, 3, 3, 3]);
    const first = (await listBackends()).find((backend) => backend.available)!;
    expect((await selectBackend('auto')).name).toBe(first.name);
    expect(tf.getBackend()).toBe(first.name);
  });
});
