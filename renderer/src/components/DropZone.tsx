import { useRef, useState, type DragEvent, type KeyboardEvent } from 'react';

/**
 * Accepts a CSV by drag and drop, or by the file picker (click, Enter or Space).
 * What happens to the file depends on the shell, which `onFile` hides.
 */
export function DropZone({
  onFile,
  disabled,
  compact,
  label = 'Import a CSV file',
  title = 'Replace file',
}: {
  onFile: (file: File) => void;
  disabled?: boolean;
  /** Once a file is in, the zone shrinks to a small "Replace file" control that still takes drops. */
  compact?: boolean;
  label?: string;
  /** The compact control's text. */
  title?: string;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);

  const take = (files: FileList | null) => {
    const file = files?.[0];
    if (file && !disabled) onFile(file);
  };

  return (
    <div
      className={`dropzone${compact ? ' compact' : ''}${over ? ' over' : ''}${disabled ? ' disabled' : ''}`}
      role="button"
      tabIndex={disabled ? -1 : 0}
      aria-disabled={disabled}
      aria-label={`${compact ? title : label}: drop a CSV file here or press Enter to choose one`}
      onClick={() => input.current?.click()}
      onKeyDown={(event: KeyboardEvent) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          input.current?.click();
        }
      }}
      onDragOver={(event: DragEvent) => {
        event.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(event: DragEvent) => {
        event.preventDefault();
        setOver(false);
        take(event.dataTransfer.files);
      }}
    >
      <div className="dropzone-icon" aria-hidden="true">
        ⇪
      </div>
      <div className="dropzone-title">{compact ? title : 'Drop a CSV file here'}</div>
      <div className="dropzone-hint">
        {compact ? 'Drop another CSV here or click to choose one.' : 'or click to choose one. Comma, semicolon, tab or pipe separated.'}
      </div>
      <input
        ref={input}
        type="file"
        accept=".csv,.tsv,.txt,.data,.test,text/csv,text/plain"
        hidden
        data-testid="file-input"
        onChange={(event) => {
          take(event.target.files);
          event.target.value = '';
        }}
      />
    </div>
  );
}
