import type { ImportReport } from '../../../../shared/api.js';
import { ColumnNotes } from './ColumnNotes.js';

/** What the last import read and decided: bad rows with their line numbers, renamed columns and notes. */
export function ImportReportView({ report }: { report: ImportReport }) {
  const { badRows } = report;
  const separatorNames: Record<string, string> = { ',': 'comma (,)', ';': 'semicolon (;)', '\t': 'tab', '|': 'pipe (|)' };
  const separator = separatorNames[report.dialect.delimiter] ?? report.dialect.delimiter;
  return (
    <div className="import-report" aria-label="Import report">
      <p className="muted">
        Read as {separator} separated, {report.dialect.header ? 'with a header row' : 'with no header row'},{' '}
        {report.dialect.encoding.toUpperCase()}
        {report.reused ? '; the same file was imported before, so its stored table was reused' : ''}.
      </p>
      {badRows.count > 0 ? (
        <details className="import-bad-rows" open={badRows.count <= 10}>
          <summary>
            {badRows.count.toLocaleString('en-US')} bad row{badRows.count === 1 ? '' : 's'} skipped (wrong number of fields)
          </summary>
          <table aria-label="Bad rows">
            <thead>
              <tr>
                <th scope="col">Line</th>
                <th scope="col">Problem</th>
                <th scope="col">Text</th>
              </tr>
            </thead>
            <tbody>
              {badRows.lines.map((row) => (
                <tr key={row.line}>
                  <td>{row.line}</td>
                  <td>{row.error}</td>
                  <td>
                    <code>{row.text}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {badRows.count > badRows.lines.length ? <p className="muted">The first {badRows.lines.length} are listed.</p> : null}
        </details>
      ) : null}
      <ColumnNotes renamed={report.renamed} notes={report.notes} when="after" notesLabel="Notes about the columns" />
    </div>
  );
}
