import { describe, expect, it } from 'vitest';
import { ModelFamily, TrainSettings } from '../../../shared/api/train.js';
import { defaultCandidates, drawCandidate, firstSteps } from '../../../main/engine/train/auto.js';
import { mulberry32 } from '../../../main/engine/train/random.js';
import { flavorOf } from '../../../main/engine/models/registry.js';

const base = TrainSettings.parse({ model: 'auto', seed: 7 });
const context = { task: 'binary' as const, trainRows: 1000 };

describe('Auto search space', () => {
  it('starts with every family once, in the registry order, with its defaults', () => {
    const candidates = defaultCandidates(base);
    expect(candidates.map((candidate) => candidate.family).sort()).toEqual([...ModelFamily.options].sort());
    expect(candidates.slice(0, 2).map((candidate) => candidate.family)).toEqual(['gbdt', 'forest']);
    for (const candidate of candidates) expect(candidate.settings).toEqual(base);
  });

  it("takes the boosted trees' fixed first step: half the learning rate, twice the rounds", () => {
    const [step, ...others] = firstSteps(base);
    expect(others).toEqual([]);
    expect(step!.family).toBe('gbdt');
    const defaults = flavorOf('gbdt').resolve(undefined);
    expect(step!.settings.gbdt).toMatchObject({ learningRate: Number(defaults.learningRate) / 2, rounds: Number(defaults.rounds) * 2 });
  });

  it('draws valid settings for every family, the same for the same seed', () => {
    for (const family of ModelFamily.options) {
      const first = drawCandidate(family, base, mulberry32(3), context);
      const again = drawCandidate(family, base, mulberry32(3), context);
      expect(again).toEqual(first);
      expect(first.family).toBe(family);
      // A draw is a complete section that the family's own schema accepts as it is.
      expect(flavorOf(family).resolve(first.settings[family])).toEqual(first.settings[family]);
      expect(first.label.startsWith(family)).toBe(true);
    }
  });
});
