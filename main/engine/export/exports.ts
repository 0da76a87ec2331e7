/**
 * SQLite records of exports (migration 4): which run a bundle came from, where
 * it is, its parity figures, a few real held-out rows kept for test requests,
 * and the image built from it.
 */
import { randomBytes } from 'node:crypto';
import type { ExportBundle, ParityReport } from '../../../shared/api/export.js';
import { KilnError } from '../../../shared/errors.js';
import { nowIso } from '../ids.js';
import type { Db } from '../workspace/database.js';
import type { RawRow } from './onnx/rows.js';

interface ExportRow {
  id: string;
  run_id: string;
  project_id: string;
  bundle_path: string;
  onnx_path: string;
  onnx_bytes: number;
  parity_json: string;
  sample_rows_json: string;
  image_json: string | null;
  created_at: string;
}

export type ExportImage = NonNullable<ExportBundle['image']>;

export interface NewExport {
  runId: string;
  projectId: string;
  bundle: string;
  onnx: string;
  onnxBytes: number;
  parity: ParityReport;
  sampleRows: RawRow[];
}

function toBundle(row: ExportRow): ExportBundle {
  return {
    id: row.id,
    runId: row.run_id,
    bundle: row.bundle_path,
    onnx: row.onnx_path,
    onnxBytes: row.onnx_bytes,
    parity: JSON.parse(row.parity_json) as ParityReport,
    image: row.image_json === null ? null : (JSON.parse(row.image_json) as ExportImage),
    createdAt: row.created_at,
  };
}

/** ids.ts has no export prefix; the same shape as its ids. */
export function newExportId(): string {
  return `exp_${randomBytes(6).toString('hex')}`;
}

export class ExportRepository {
  constructor(private readonly db: Db) {}

  create(id: string, input: NewExport): ExportBundle {
    this.db
      .prepare(
        `INSERT INTO exports (id, run_id, project_id, bundle_path, onnx_path, onnx_bytes, parity_json, sample_rows_json, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        input.runId,
        input.projectId,
        input.bundle,
        input.onnx,
        input.onnxBytes,
        JSON.stringify({ rows: input.parity.rows, maxAbsDiff: input.parity.maxAbsDiff }),
        JSON.stringify(input.sampleRows),
        nowIso(),
      );
    return this.get(id);
  }

  get(exportId: string): ExportBundle {
    return toBundle(this.row(exportId));
  }

  /** Real held-out rows of the run's dataset, as exported (raw values, null for missing). */
  sampleRows(exportId: string): RawRow[] {
    return JSON.parse(this.row(exportId).sample_rows_json) as RawRow[];
  }

  projectOf(exportId: string): string {
    return this.row(exportId).project_id;
  }

  setImage(exportId: string, image: ExportImage): ExportBundle {
    this.db.prepare('UPDATE exports SET image_json = ? WHERE id = ?').run(JSON.stringify(image), exportId);
    return this.get(exportId);
  }

  list(filter: { runId?: string | undefined; projectId?: string | undefined }): ExportBundle[] {
    const where: string[] = [];
    const values: string[] = [];
    if (filter.runId !== undefined) {
      where.push('run_id = ?');
      values.push(filter.runId);
    }
    if (filter.projectId !== undefined) {
      where.push('project_id = ?');
      values.push(filter.projectId);
    }
    const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
    return (
      this.db.prepare(`SELECT * FROM exports ${clause} ORDER BY created_at DESC, rowid DESC LIMIT 500`).all(...values) as ExportRow[]
    ).map(toBundle);
  }

  private row(exportId: string): ExportRow {
    const row = this.db.prepare('SELECT * FROM exports WHERE id = ?').get(exportId) as ExportRow | undefined;
    if (!row) throw new KilnError('not_found', `There is no export ${exportId}.`, 'exportId');
    return row;
  }
}
