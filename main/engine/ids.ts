import { randomBytes } from 'node:crypto';

/** Short, prefixed ids: readable in the CLI and in logs (`prj_3f9a1c2b7d4e`). */
export function newId(prefix: 'prj' | 'ds' | 'job' | 'run' | 'mdl'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export function nowIso(): string {
  return new Date().toISOString();
}
