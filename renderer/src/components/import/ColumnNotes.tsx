import type { ColumnNote, Rename } from '../../../../shared/api.js';

/**
 * Renamed columns and notes about columns, as the preview (before import) and
 * the report (after it) both show them; only the tense differs.
 */
export function ColumnNotes({
  renamed,
  notes,
  when,
  notesLabel,
}: {
  renamed: Rename[];
  notes: ColumnNote[];
  when: 'before' | 'after';
  notesLabel: string;
}) {
  return (
    <>
      {renamed.length > 0 ? (
        <ul className="import-notes" aria-label="Renamed columns">
          {renamed.map((rename) => (
            <li key={rename.position}>
              Column {rename.position} {rename.from === '' ? '(no name)' : `“${rename.from}”`}{' '}
              {when === 'before' ? 'will be called' : 'was renamed'} “{rename.to}”.
            </li>
          ))}
        </ul>
      ) : null}
      {notes.length > 0 ? (
        <ul className="import-notes" aria-label={notesLabel}>
          {notes.map((note, index) => (
            <li key={index}>
              {note.column ? <strong>{note.column}: </strong> : null}
              {note.message}
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}
