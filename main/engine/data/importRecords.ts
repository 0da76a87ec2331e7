import { ImportReport } from '../../../shared/api.js';
import type { Db } from '../workspace/database.js';

/** `datasets.import_json` belongs to the import module: it is written and read only here. */
export function saveImportReport(db: Db, datasetId: string, report: ImportReport): void {
  db.prepare('UPDATE datasets SET import_json = ? WHERE id = ?').run(JSON.stringify(report), datasetId);
}

export function loadImportReport(db: Db, datasetId: string): ImportReport | null {
  const row = db.prepare('SELECT import_json FROM datasets WHERE id = ?').get(datasetId) as { import_json: string | null } | undefined;
  if (!row?.import_json) return null;
  const parsed = ImportReport.safeParse(JSON.parse(row.import_json));
  return parsed.success ? parsed.data : null;
}
