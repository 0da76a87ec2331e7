/**
 * Every event a real session produces (an import, a profile, a training run
 * with its progress and its full evaluation) fits the event schema, so the
 * checks at the transports drop nothing that a working engine sends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Job } from '../../../shared/api.js';
import { checkEvent, encodeEvent, type KilnEvent } from '../../../shared/events.js';
import type { Engine } from '../../../main/engine/engine.js';
import { startHost, type RunningHost } from '../../../main/host/server.js';
import { adultCsv, createTestEngine, tempDir, waitForJob } from '../../helpers/engine.js';
import { adultFeatures, importFile, trainSettings } from '../train/helpers.js';

const token = 'events-token-0123456789abcdef';

describe('events of a real session at the transport boundary', () => {
  let engine: Engine;
  let cleanup: () => Promise<void>;
  let host: RunningHost;

  beforeAll(async () => {
    ({ engine, cleanup } = await createTestEngine());
    host = await startHost({ engine, rendererDir: await tempDir('kiln-renderer-'), port: 0, token });
  });

  afterAll(async () => {
    await host.close();
    await cleanup();
  });

  it('an import, a profile and a GBDT run on adult send only events that fit, and the WebSocket carries every one', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${host.port}/api/events?token=${token}`);
    const overWire: string[] = [];
    socket.on('message', (data: WebSocket.RawData) => overWire.push(String(data)));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const emitted: KilnEvent[] = [];
    const stop = engine.onEvent((event) => emitted.push(event));
    try {
      const adult = await importFile(engine, adultCsv, 'Events');
      const profile = await engine.call('profile.compute', { datasetId: adult.id, target: 'Y' });
      expect((await waitForJob(engine, profile.jobId)).state).toBe('succeeded');
      const { jobId } = await engine.call('train.start', {
        projectId: adult.projectId,
        datasetId: adult.id,
        features: adultFeatures(),
        train: trainSettings({ model: 'gbdt', seed: 3, gbdt: { rounds: 15 } }),
      });
      const trained: Job = await waitForJob(engine, jobId);
      expect(trained.state, trained.error ?? '').toBe('succeeded');

      // The last event reaches the socket after the job settles; wait for the count to match.
      const deadline = Date.now() + 20_000;
      while (overWire.length < emitted.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));

      const problems = emitted.flatMap((event) => {
        const wire = encodeEvent(event);
        return 'problem' in wire ? [wire.problem] : [];
      });
      expect(problems).toEqual([]);
      expect(overWire).toHaveLength(emitted.length);
      const received = overWire.map((text) => checkEvent(JSON.parse(text)));
      expect(received.filter((checked) => !checked.ok)).toEqual([]);

      const types = new Set(emitted.map((event) => event.type));
      expect([...types].sort()).toEqual(['datasets.changed', 'job.updated', 'projects.changed', 'run.progress', 'runs.changed']);
      const finished = emitted.find((event) => event.type === 'runs.changed' && event.run.status === 'succeeded');
      expect(finished?.type === 'runs.changed' && finished.run.details?.validation?.task).toBe('binary');
      const kinds = new Set(emitted.flatMap((event) => (event.type === 'job.updated' ? [event.job.kind] : [])));
      expect([...kinds].sort()).toEqual(['import', 'profile', 'train']);
    } finally {
      stop();
      socket.close();
    }
  }, 240_000);
});
