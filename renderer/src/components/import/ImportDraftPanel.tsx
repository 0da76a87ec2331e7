import { useState } from 'react';
import type { BadRowsMode, ColumnRole, ColumnType, Delimiter, Encoding, ImportOptions } from '../../../../shared/api.js';
import type { ImportDraft } from '../../stores/datasets.js';
import { ColumnNotes } from './ColumnNotes.js';
import { typeWordLabels } from '../typeWords.js';

const delimiters: { value: Delimiter; label: string }[] = [
  { value: ',', label: 'Comma ,' },
  { value: ';', label: 'Semicolon ;' },
  { value: '\t', label: 'Tab' },
  { value: '|', label: 'Pipe |' },
];
const types: ColumnType[] = ['VARCHAR', 'BIGINT', 'DOUBLE', 'BOOLEAN', 'DATE', 'TIMESTAMP'];
const typeLabels = typeWordLabels(types);
const roles: ColumnRole[] = ['feature', 'target', 'id', 'ignore'];
/** Wide files: only this many columns get type and role controls in the preview. */
const previewColumns = 60;

function display(value: string | number | boolean | null): string {
  return value === null ? '' : String(value);
}

/**
 * The sniffed settings and the first rows of a chosen file, before it is imported.
 * Changing the separator, header, encoding or missing markers sniffs again.
 */
export function ImportDraftPanel({
  draft,
  disabled,
  onResniff,
  onOptions,
  onImport,
  onDiscard,
}: {
  draft: ImportDraft;
  disabled: boolean;
  onResniff: (options: ImportOptions) => void;
  onOptions: (options: ImportOptions) => void;
  onImport: () => void;
  onDiscard: () => void;
}) {
  const { sniff, options } = draft;
  const [missingText, setMissingText] = useState(sniff.missing.map((marker) => (marker === '' ? '(empty)' : marker)).join(', '));
  const shown = sniff.columns.slice(0, previewColumns);
  const column = (name: string) => options.columns?.[name] ?? {};
  const setColumn = (name: string, change: { type?: ColumnType; role?: ColumnRole }) =>
    onOptions({ ...options, columns: { ...options.columns, [name]: { ...column(name), ...change } } });
  const applyMissing = () => {
    const markers = missingText.split(',').map((marker) => (marker.trim() === '(empty)' ? '' : marker.trim()));
    onResniff({ ...options, missing: [...new Set(markers)] });
  };

  return (
    <section className="import-draft" aria-label="Import settings">
      <h3>
        {draft.source.name} <span className="muted">· {(sniff.bytes / 1024 / 1024).toFixed(sniff.bytes < 1024 * 1024 ? 2 : 1)} MB</span>
      </h3>
      <div className="import-settings">
        <label>
          Separator
          <select
            className="input"
            value={sniff.dialect.delimiter}
            disabled={disabled || draft.sniffing}
            onChange={(event) => onResniff({ ...options, delimiter: event.target.value as Delimiter })}
          >
            {delimiters.map((delimiter) => (
              <option key={delimiter.label} value={delimiter.value}>
                {delimiter.label}
              </option>
            ))}
          </select>
        </label>
        <label className="checkbox">
          <input
            type="checkbox"
            checked={sniff.dialect.header}
            disabled={disabled || draft.sniffing}
            onChange={(event) => onResniff({ ...options, header: event.target.checked })}
          />
          First row is the header
        </label>
        <label>
          Encoding
          <select
            className="input"
            value={sniff.dialect.encoding}
            disabled={disabled || draft.sniffing}
            onChange={(event) => onResniff({ ...options, encoding: event.target.value as Encoding })}
          >
            <option value="utf-8">UTF-8</option>
            <option value="latin-1">Latin-1</option>
            {sniff.dialect.encoding.startsWith('utf-16') && (
              // UTF-16 is recognised by its byte order mark; it is shown, not chosen.
              <option value={sniff.dialect.encoding} disabled>
                {sniff.dialect.encoding === 'utf-16le' ? 'UTF-16 (little-endian)' : 'UTF-16 (big-endian)'}
              </option>
            )}
          </select>
        </label>
        <label className="wide">
          Missing values
          <input
            className="input"
            value={missingText}
            disabled={disabled || draft.sniffing}
            onChange={(event) => setMissingText(event.target.value)}
            onBlur={applyMissing}
            onKeyDown={(event) => {
              if (event.key === 'Enter') applyMissing();
            }}
            aria-describedby="missing-hint"
          />
          <span id="missing-hint" className="hint">
            Comma separated; (empty) is an empty cell.
          </span>
        </label>
        <label>
          Rows with the wrong number of fields
          <select
            className="input"
            value={options.badRows ?? 'skip'}
            disabled={disabled}
            onChange={(event) => onOptions({ ...options, badRows: event.target.value as BadRowsMode })}
          >
            <option value="skip">Skip them and list them</option>
            <option value="stop">Stop the import</option>
          </select>
        </label>
        <label>
          Maximum line size (MB)
          <input
            className="input"
            type="number"
            min={1}
            max={1024}
            placeholder="2"
            value={options.maxLineBytes === undefined ? '' : options.maxLineBytes / (1024 * 1024)}
            disabled={disabled || draft.sniffing}
            onChange={(event) => {
              const megabytes = Number(event.target.value);
              onResniff({
                ...options,
                maxLineBytes: event.target.value === '' || !(megabytes > 0) ? undefined : Math.round(megabytes * 1024 * 1024),
              });
            }}
          />
        </label>
      </div>

      <ColumnNotes renamed={sniff.renamed} notes={sniff.notes} when="before" notesLabel="Notes about the preview" />

      <div className="import-preview" aria-busy={draft.sniffing}>
        <table aria-label={`Preview of ${draft.source.name}`}>
          <thead>
            <tr>
              {shown.map((entry) => (
                <th key={entry.name} scope="col">
                  <div className="column-name">{entry.name}</div>
                  <select
                    className="input small"
                    aria-label={`Type of ${entry.name}`}
                    value={column(entry.name).type ?? entry.type}
                    disabled={disabled}
                    onChange={(event) => setColumn(entry.name, { type: event.target.value as ColumnType })}
                  >
                    {types.map((type) => (
                      <option key={type} value={type}>
                        {typeLabels[type]}
                      </option>
                    ))}
                  </select>
                  <select
                    className="input small"
                    aria-label={`Role of ${entry.name}`}
                    value={column(entry.name).role ?? entry.role}
                    disabled={disabled}
                    onChange={(event) => setColumn(entry.name, { role: event.target.value as ColumnRole })}
                  >
                    {roles.map((role) => (
                      <option key={role} value={role}>
                        {role}
                      </option>
                    ))}
                  </select>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {sniff.rows.map((row, rowIndex) => (
              <tr key={rowIndex}>
                {row.slice(0, previewColumns).map((cell, cellIndex) => (
                  <td key={cellIndex} className={cell === null ? 'missing' : undefined}>
                    {cell === null ? '—' : display(cell)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted small">
        {sniff.columns.length.toLocaleString('en-US')} columns
        {sniff.columns.length > previewColumns ? ` (the first ${previewColumns} shown)` : ''}; first {sniff.rows.length} rows. Types shown
        are guessed from the first rows; the import checks every row.
      </p>
      <div className="import-actions">
        <button type="button" className="button primary" disabled={disabled || draft.sniffing} onClick={onImport}>
          Import this file
        </button>
        <button type="button" className="button ghost" disabled={disabled} onClick={onDiscard}>
          Choose another file
        </button>
      </div>
    </section>
  );
}
