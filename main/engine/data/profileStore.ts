import { createHash } from 'node:crypto';
import type { DatasetProfile } from '../../../shared/api.js';
import { nowIso } from '../ids.js';
import type { Db } from '../workspace/database.js';
import { profileSchemaVersion } from './profile.js';

export interface NormalizedProfileOptions {
  target: string | null;
  /** Null means the whole table. */
  sample: number | null;
}

/** Profiles depend on the table version and on these options only; the hash keys the cache. */
export function profileOptionsHash(options: NormalizedProfileOptions): string {
  const canonical = JSON.stringify({ schema: profileSchemaVersion, target: options.target, sample: options.sample });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** Reads and writes the `profiles` table (migration 2): one row per dataset version and options hash. */
export class ProfileStore {
  constructor(private readonly db: Db) {}

  find(version: string, optionsHash: string): DatasetProfile | undefined {
    const row = this.db.prepare('SELECT profile_json FROM profiles WHERE version = ? AND options_hash = ?').get(version, optionsHash) as
      { profile_json: string } | undefined;
    return row ? (JSON.parse(row.profile_json) as DatasetProfile) : undefined;
  }

  /** A profile computed twice at once is stored once: the first one wins, both are equal. */
  save(profile: DatasetProfile): void {
    this.db
      .prepare('INSERT OR IGNORE INTO profiles (version, options_hash, profile_json, created_at) VALUES (?, ?, ?, ?)')
      .run(profile.version, profile.optionsHash, JSON.stringify(profile), nowIso());
  }
}
