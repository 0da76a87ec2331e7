import { join } from 'node:path';
import { samplesDir } from '../paths.js';

export interface Sample {
  id: string;
  title: string;
  description: string;
  file: string;
}

/** Real public datasets that ship with Kiln, for the "try a sample" button and the tests. */
export const samples: readonly Sample[] = [
  {
    id: 'adult',
    title: 'Adult census income',
    description: '32,561 people from the 1994 US census; predict whether income exceeds $50K (UCI, CC BY 4.0).',
    file: join(samplesDir, 'adult.csv'),
  },
];
