import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  defaultMissingMarkers,
  type ColumnNote,
  type Delimiter,
  type Dialect,
  type Encoding,
  type ImportOptions,
  type Rename,
  type SniffResult,
} from '../../../shared/api.js';
import { KilnError } from '../../../shared/errors.js';
import { inferColumnTypes } from './importTypes.js';
import { quoteIdent, quoteLiteral } from './sql.js';
import { toJsonCell } from './values.js';

const headBytes = 64 * 1024;
const previewRows = 50;
/** Types in the preview come from this many rows; the import types each column over the whole file. */
const previewTypingRows = 2000;

/** Everything needed to read a file the same way twice: in the preview and in the import. */
export interface ReadSettings {
  path: string;
  dialect: Dialect;
  /** DuckDB's names for the columns, in file order. */
  sourceNames: string[];
  /** The unique names Kiln gives them, in the same order. */
  names: string[];
  renamed: Rename[];
  missing: string[];
  /** Average bytes per line in the head, to turn bytes read into an estimate of rows read. */
  bytesPerRow: number;
}

async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(headBytes);
    const { bytesRead } = await handle.read(buffer, 0, headBytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** UTF-8 unless the head is not valid UTF-8; then Latin-1, which can decode any byte. */
export function detectEncoding(head: Buffer, complete: boolean): Encoding {
  let end = head.length;
  // The head may end inside a multi-byte character: decode only up to the last line break.
  if (!complete) {
    const lastNewline = head.lastIndexOf(0x0a);
    if (lastNewline > 0) end = lastNewline + 1;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, end));
    return 'utf-8';
  } catch {
    return 'latin-1';
  }
}

/** Counts each candidate separator outside quotes in the head lines; the one that splits every line the same way wins. */
export function guessDelimiter(text: string): Delimiter | undefined {
  const candidates: Delimiter[] = [',', ';', '\t', '|'];
  const lines = text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .slice(0, 30);
  if (lines.length === 0) return undefined;
  let best: { delimiter: Delimiter; score: number } | undefined;
  for (const delimiter of candidates) {
    const counts = lines.map((line) => {
      let count = 0;
      let quoted = false;
      for (const char of line) {
        if (char === '"') quoted = !quoted;
        else if (char === delimiter && !quoted) count += 1;
      }
      return count;
    });
    const first = counts[0] ?? 0;
    if (first === 0) continue;
    const consistent = counts.filter((count) => count === first).length / counts.length;
    const score = consistent * 1000 + first;
    if (!best || score > best.score) best = { delimiter, score };
  }
  return best?.delimiter;
}

/** `col`, `col_2`, …; an empty name becomes `column_<position>`. Reports every change. */
export function uniqueNames(raw: string[]): { names: string[]; renamed: Rename[] } {
  const used = new Set<string>();
  const renamed: Rename[] = [];
  const names = raw.map((original, index) => {
    const trimmed = original.trim();
    let name = trimmed === '' ? `column_${index + 1}` : trimmed;
    if (used.has(name)) {
      let suffix = 2;
      while (used.has(`${name}_${suffix}`)) suffix += 1;
      name = `${name}_${suffix}`;
    }
    used.add(name);
    // Spaces around a name are trimmed silently: only real renames are reported.
    if (name !== trimmed) renamed.push({ position: index + 1, from: trimmed, to: name });
    return name;
  });
  return { names, renamed };
}

/** The read_csv call for these settings; `extra` adds options such as rejects tables. */
export function csvSource(settings: Pick<ReadSettings, 'path' | 'dialect'>, extra = ''): string {
  const { dialect } = settings;
  const args = [
    quoteLiteral(settings.path),
    'all_varchar = true',
    `delim = ${quoteLiteral(dialect.delimiter)}`,
    `quote = ${quoteLiteral(dialect.quote)}`,
    `header = ${dialect.header}`,
    `skip = ${dialect.skip}`,
    `encoding = ${quoteLiteral(dialect.encoding)}`,
  ];
  return `read_csv(${args.join(', ')}${extra ? `, ${extra}` : ''})`;
}

/**
 * The `nullstr` option that makes DuckDB's reader turn the missing markers into NULL
 * while it parses, so no per-cell comparison runs afterwards. Each marker is listed
 * bare and with one space on either side (`a, ?, b`); a marker with other padding
 * reaches the table as text and is caught by the import's check after trimming.
 * The empty cell is always listed: DuckDB reads it as NULL by default, as before.
 */
export function nullstrOption(missing: readonly string[]): string {
  const forms = new Set<string>(['']);
  for (const marker of missing) {
    for (const form of [marker, ` ${marker}`, `${marker} `, ` ${marker} `]) forms.add(form);
  }
  return `nullstr = [${[...forms].map(quoteLiteral).join(', ')}]`;
}

/**
 * DuckDB's planner slows down sharply with thousands of CASE expressions in one
 * SELECT (5,000 columns in one SELECT took minutes, 500 take a fraction of a second), so wide files are read in groups of columns.
 */
export const columnsPerGroup = 500;
const unitSeparator = '\u001f';

/** Column positions in groups of at most `columnsPerGroup`. */
export function columnGroups(settings: Pick<ReadSettings, 'names'>): number[][] {
  const groups: number[][] = [];
  for (let start = 0; start < settings.names.length; start += columnsPerGroup) {
    groups.push(settings.names.slice(start, start + columnsPerGroup).map((_, offset) => start + offset));
  }
  return groups;
}

/** Trimmed text with the missing markers as NULL, under Kiln's unique column names (all columns, or the given positions). */
export function cleanedSelect(settings: ReadSettings, positions?: number[]): string {
  // One string search per cell instead of `IN (…)`: DuckDB plans thousands of IN lists very slowly.
  // The markers are joined with the ASCII unit separator, which text files do not contain.
  const markers =
    settings.missing.length > 0 ? quoteLiteral(`${unitSeparator}${settings.missing.join(unitSeparator)}${unitSeparator}`) : '';
  return (positions ?? settings.sourceNames.map((_, index) => index))
    .map((index) => {
      const source = settings.sourceNames[index] ?? '';
      const trimmed = `trim(${quoteIdent(source)})`;
      const value = markers
        ? `CASE WHEN contains(${markers}, concat(${quoteLiteral(unitSeparator)}, ${trimmed}, ${quoteLiteral(unitSeparator)})) THEN NULL ELSE ${trimmed} END`
        : trimmed;
      return `${value} AS ${quoteIdent(settings.names[index] ?? source)}`;
    })
    .join(', ');
}

function readError(path: string, error: unknown): KilnError {
  const message = error instanceof Error ? error.message : String(error);
  const first = message.split('\n').find((line) => line.trim() !== '') ?? message;
  return new KilnError('bad_input', `Kiln could not read ${basename(path)} as CSV: ${first}`, 'path');
}

interface DuckSniff {
  delimiter: string;
  quote: string;
  header: boolean;
  skip: number;
  columns: number;
}

async function duckSniff(connection: DuckDBConnection, path: string, args: string[]): Promise<DuckSniff> {
  const extra = args.length ? `, ${args.join(', ')}` : '';
  const reader = await connection.runAndReadAll(
    `SELECT Delimiter, Quote, HasHeader, SkipRows, len(Columns) AS n FROM sniff_csv(${quoteLiteral(path)}, all_varchar = true${extra})`,
  );
  const row = reader.getRowObjectsJson()[0];
  if (!row) throw new KilnError('bad_input', `Kiln could not detect the layout of ${basename(path)}.`, 'path');
  const quote = String(row.Quote);
  return {
    delimiter: String(row.Delimiter),
    quote: quote === '(empty)' ? '"' : quote,
    header: row.HasHeader === true,
    skip: Number(row.SkipRows ?? 0),
    columns: Number(row.n ?? 0),
  };
}

/** Works out how to read the file: encoding, separator, quote, header and unique column names. */
export async function resolveReadSettings(connection: DuckDBConnection, path: string, options: ImportOptions = {}): Promise<ReadSettings> {
  const head = await readHead(path);
  const complete = head.length < headBytes;
  const encoding = options.encoding ?? detectEncoding(head, complete);
  const headText = new TextDecoder(encoding === 'utf-8' ? 'utf-8' : 'latin1').decode(head);

  const args = [`encoding = ${quoteLiteral(encoding)}`];
  if (options.delimiter) args.push(`delim = ${quoteLiteral(options.delimiter)}`);
  if (options.header !== undefined) args.push(`header = ${options.header}`);
  let sniffed: DuckSniff;
  try {
    try {
      sniffed = await duckSniff(connection, path, args);
    } catch {
      // The sniffer gives up on some small files with rows of the wrong length; those rows are reported later.
      sniffed = await duckSniff(connection, path, [...args, 'ignore_errors = true']);
    }
    // Rows with the wrong number of fields can lead the sniffer to read the file as one column;
    // a separator that splits the header and most lines the same way is then the better reading.
    const guess = guessDelimiter(headText);
    if (!options.delimiter && sniffed.columns === 1 && guess && guess !== sniffed.delimiter) {
      sniffed = await duckSniff(connection, path, [...args, `delim = ${quoteLiteral(guess)}`, 'ignore_errors = true']);
    }
  } catch (error) {
    throw readError(path, error);
  }
  const dialect: Dialect = {
    delimiter: sniffed.delimiter,
    quote: sniffed.quote,
    header: options.header ?? sniffed.header,
    encoding,
    skip: sniffed.skip,
  };

  let sourceNames: string[];
  let rawNames: string[];
  try {
    const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${csvSource({ path, dialect }, 'ignore_errors = true')}`);
    sourceNames = described.getRowObjectsJson().map((row) => String(row.column_name));
    if (dialect.header) {
      // DuckDB renames duplicate and empty names its own way; read the header line itself to rename them ours.
      const headerRow = await connection.runAndReadAll(
        `SELECT * FROM ${csvSource({ path, dialect: { ...dialect, header: false } }, 'ignore_errors = true')} LIMIT 1`,
      );
      const cells = (headerRow.getRows()[0] ?? []).map((cell) => (cell === null ? '' : String(cell)));
      rawNames = cells.length === sourceNames.length ? cells.map((cell) => cell.replace(/^\uFEFF/, '')) : sourceNames;
    } else {
      rawNames = sourceNames.map((_, index) => `column_${index + 1}`);
    }
  } catch (error) {
    throw readError(path, error);
  }
  const { names, renamed } = uniqueNames(rawNames);
  const lines = headText.split('\n').length - (complete ? 0 : 1);
  const bytesPerRow = Math.max(1, (complete ? head.length : head.lastIndexOf(0x0a) + 1) / Math.max(1, lines));
  return {
    path,
    dialect,
    sourceNames,
    names,
    renamed,
    missing: options.missing ?? [...defaultMissingMarkers],
    bytesPerRow,
  };
}

/** The settings and first rows of a file, for the user to check before importing it. */
export async function sniffCsv(
  connection: DuckDBConnection,
  path: string,
  bytes: number,
  options: ImportOptions = {},
): Promise<SniffResult> {
  const settings = await resolveReadSettings(connection, path, options);
  const rows: SniffResult['rows'] = [];
  const typed: Awaited<ReturnType<typeof inferColumnTypes>> = [];
  try {
    for (const group of columnGroups(settings)) {
      const relation = `(SELECT ${cleanedSelect(settings, group)} FROM ${csvSource(settings, 'ignore_errors = true')} LIMIT ${previewTypingRows})`;
      const reader = await connection.runAndReadAll(`SELECT * FROM ${relation} LIMIT ${previewRows}`);
      reader.getRows().forEach((row, index) => {
        rows[index] = [...(rows[index] ?? []), ...row.map(toJsonCell)];
      });
      typed.push(
        ...(await inferColumnTypes(
          connection,
          relation,
          group.map((index) => settings.names[index] ?? ''),
        )),
      );
    }
  } catch (error) {
    throw readError(path, error);
  }
  const notes: ColumnNote[] = typed.flatMap((column) => column.notes.map((message) => ({ column: column.name, message })));
  if (rows.length === 0) {
    notes.unshift({ column: '', message: `${basename(path)} has a header but no rows of data.` });
  }
  return {
    path,
    bytes,
    dialect: settings.dialect,
    missing: settings.missing,
    columns: typed.map((column) => ({
      name: column.name,
      type: options.columns?.[column.name]?.type ?? column.type,
      role: options.columns?.[column.name]?.role ?? 'feature',
    })),
    renamed: settings.renamed,
    notes,
    rows,
  };
}
