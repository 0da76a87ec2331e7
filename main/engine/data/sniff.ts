import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
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
const previewRowCount = 50;
/** Types in the preview come from this many rows; the import types each column over the whole file. */
const previewTypingRows = 2000;

/** Everything needed to read a file the same way twice: in the preview and in the import. */
export interface ReadSettings {
  /** The file DuckDB reads: the user's file, or its UTF-8 copy when the file is UTF-16. */
  path: string;
  /** The user's file name, for messages. */
  fileName: string;
  /** A UTF-8 copy made for this read, removed by `releaseReadSettings`. */
  temporary: string | undefined;
  compression: Compression;
  /** DuckDB's maximum line size, when the user raised it. */
  maxLineBytes: number | undefined;
  dialect: Dialect;
  /**
   * The names the reader gives the columns, in file order: Kiln's own (`names = [...]`),
   * so a header cell that DuckDB would rename or read as NULL (`null`, `NA`, empty) cannot break a query.
   */
  sourceNames: string[];
  /** The unique names Kiln gives them, in the same order. */
  names: string[];
  renamed: Rename[];
  missing: string[];
  /** Average bytes per line in the head, to turn bytes read into an estimate of rows read; undefined for compressed files. */
  bytesPerRow: number | undefined;
}

export type Compression = 'none' | 'gzip' | 'zstd';

/** gzip and zstd are recognised by their magic bytes, whatever the file is called. */
export function compressionOf(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

/** The UTF-16 byte order marks; UTF-16 without one is refused as binary by the import's first check. */
export function utf16Of(head: Buffer): 'utf-16le' | 'utf-16be' | undefined {
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return undefined;
}

/**
 * Writes a UTF-8 copy of a UTF-16 file, streaming. DuckDB's own `utf-16` reads
 * little-endian files only and returns no rows for big-endian ones, so both are converted.
 */
async function transcodeUtf16(path: string, encoding: 'utf-16le' | 'utf-16be', tmpDir: string): Promise<string> {
  const target = join(tmpDir, `.utf8-${randomBytes(6).toString('hex')}.csv`);
  const partial = `${target}.tmp`;
  // ignoreBOM false: the decoder drops the byte order mark, so it does not reach the first column name.
  const decoder = new TextDecoder(encoding);
  const transcode = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      done(null, Buffer.from(decoder.decode(chunk, { stream: true }), 'utf8'));
    },
    flush(done) {
      done(null, Buffer.from(decoder.decode(), 'utf8'));
    },
  });
  try {
    await pipeline(createReadStream(path), transcode, createWriteStream(partial));
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return target;
}

/** Removes the UTF-8 copy a read made, if any. */
export async function releaseReadSettings(settings: Pick<ReadSettings, 'temporary'> | undefined): Promise<void> {
  if (settings?.temporary) await rm(settings.temporary, { force: true });
}

/** The first bytes of the text: decompressed for gzip; nothing for zstd, which Node cannot decompress (DuckDB sniffs it alone). */
async function readTextHead(path: string, compression: Compression): Promise<{ head: Buffer; complete: boolean }> {
  if (compression === 'none') {
    const head = await readHead(path);
    return { head, complete: head.length < headBytes };
  }
  if (compression === 'zstd') return { head: Buffer.alloc(0), complete: false };
  const parts: Buffer[] = [];
  let length = 0;
  let complete = true;
  const stream = createReadStream(path).pipe(createGunzip());
  try {
    for await (const chunk of stream) {
      parts.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (length >= headBytes) {
        complete = false;
        break;
      }
    }
  } catch {
    // A damaged stream: DuckDB's read reports it in words below.
  } finally {
    stream.destroy();
  }
  return { head: Buffer.concat(parts).subarray(0, headBytes), complete };
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

/**
 * `col`, `col_2`, …; an empty name becomes `column_<position>`. Reports every change.
 * Names are compared without case, as DuckDB compares identifiers: `A` and `a` cannot be two columns.
 */
export function uniqueNames(raw: string[]): { names: string[]; renamed: Rename[] } {
  const used = new Set<string>();
  const renamed: Rename[] = [];
  const names = raw.map((original, index) => {
    const trimmed = original.trim();
    let name = trimmed === '' ? `column_${index + 1}` : trimmed;
    if (used.has(name.toLowerCase())) {
      let suffix = 2;
      while (used.has(`${name}_${suffix}`.toLowerCase())) suffix += 1;
      name = `${name}_${suffix}`;
    }
    used.add(name.toLowerCase());
    // Spaces around a name are trimmed silently: only real renames are reported.
    if (name !== trimmed) renamed.push({ position: index + 1, from: trimmed, to: name });
    return name;
  });
  return { names, renamed };
}

/** What a read_csv call needs to read the file the same way every time. */
export type SourceSettings = Pick<ReadSettings, 'path' | 'dialect' | 'compression' | 'maxLineBytes'> & {
  /** Kiln's names for the columns; without them DuckDB names them from the header. */
  sourceNames?: readonly string[];
};

/**
 * Options on every read and sniff. Hive partitioning is off so a folder named
 * `key=value` adds no column, and no file name column is added: a CSV's columns are what is in the file.
 */
function fixedOptions(settings: Pick<ReadSettings, 'compression' | 'maxLineBytes'>): string[] {
  const options = ['hive_partitioning = false', 'filename = false'];
  if (settings.compression !== 'none') options.push(`compression = ${quoteLiteral(settings.compression)}`);
  if (settings.maxLineBytes !== undefined) options.push(`max_line_size = ${Math.round(settings.maxLineBytes)}`);
  return options;
}

/** UTF-16 files are read from their UTF-8 copy. */
function duckEncoding(encoding: Encoding): string {
  return encoding === 'latin-1' ? 'latin-1' : 'utf-8';
}

/**
 * The read_csv call for these settings; `extra` adds options such as rejects tables.
 * With Kiln's column names known the reader's own detection is off (`auto_detect = false`
 * and every column given as text): it re-sniffed the file on every call, 3 s for a file
 * of 20,000 columns where the read itself takes 0.6 s.
 */
export function csvSource(settings: SourceSettings, extra = ''): string {
  const { dialect } = settings;
  const args = [
    quoteLiteral(settings.path),
    `delim = ${quoteLiteral(dialect.delimiter)}`,
    `quote = ${quoteLiteral(dialect.quote)}`,
    `header = ${dialect.header}`,
    `skip = ${dialect.skip}`,
    `encoding = ${quoteLiteral(duckEncoding(dialect.encoding))}`,
    ...fixedOptions(settings),
  ];
  if (settings.sourceNames) {
    args.push(
      `escape = ${quoteLiteral(dialect.quote)}`,
      'auto_detect = false',
      `columns = {${settings.sourceNames.map((name) => `${quoteLiteral(name)}: 'VARCHAR'`).join(', ')}}`,
    );
  } else {
    args.push('all_varchar = true');
  }
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

/** An engine message without the engine's error name, the SQL it quotes or the file's full path. */
function engineReason(message: string, path: string, fileName: string): string {
  const first = message.split('\n').find((line) => line.trim() !== '') ?? '';
  return first
    .replace(/^[A-Za-z ]*Error:\s*/, '')
    .replaceAll(path, fileName)
    .replace(/\s*(LINE \d+:.*|SELECT .*|FROM .*)$/, '')
    .trim();
}

/**
 * DuckDB's CSV and sniffing errors in words: what is wrong and what the user can
 * change. Kiln's generated SQL is never quoted, nor the engine's error names.
 */
export function describeCsvError(settings: Pick<ReadSettings, 'path' | 'fileName'>, error: unknown): KilnError {
  if (error instanceof KilnError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const name = settings.fileName;
  const lineSize = /maximum line size of (\d+) bytes exceeded/i.exec(message);
  if (lineSize) {
    const limit = Number(lineSize[1]);
    const actual = /actual size:\s*(\d+)/i.exec(message);
    return new KilnError(
      'bad_input',
      `A line in ${name} is longer than the maximum line size (${formatSize(limit)}${actual ? `; the line holds ${formatSize(Number(actual[1]))}` : ''}). If the file really has lines this long, raise the maximum line size in the import options; if not, the separator or the quote character is probably wrong: set the separator.`,
      'maxLineBytes',
    );
  }
  if (/invalid unicode|not utf-8|invalid utf-8/i.test(message)) {
    return new KilnError(
      'bad_input',
      `${name} is not valid text in the chosen encoding. Choose another encoding (UTF-8 or Latin-1) and try again.`,
      'encoding',
    );
  }
  if (/error when sniffing file|sniff/i.test(message)) {
    return new KilnError(
      'bad_input',
      `Kiln could not work out how ${name} is laid out: its lines do not split the same way with any separator Kiln tried. Set the separator (comma, semicolon, tab or pipe) and say whether the first row is the header, then try again.`,
      'delimiter',
    );
  }
  if (/expected number of columns|too many columns|not enough columns/i.test(message)) {
    return new KilnError(
      'bad_input',
      `The rows of ${name} do not have the same number of fields. Set the separator, choose whether the first row is the header, or choose to skip bad rows.`,
      'delimiter',
    );
  }
  if (/unterminated quote|quote/i.test(message)) {
    return new KilnError(
      'bad_input',
      `${name} has a quoted value that never ends. Check the file's quotes, or set the separator and try again.`,
      'delimiter',
    );
  }
  if (/no such file|cannot open file|could not open/i.test(message)) {
    return new KilnError('bad_input', `Kiln could not open ${name}. Check that the file exists and can be read.`, 'path');
  }
  if (/gzip|zstd|decompress|compression/i.test(message)) {
    return new KilnError('bad_input', `${name} looks compressed but could not be decompressed: it may be damaged or cut short.`, 'path');
  }
  const reason = engineReason(message, settings.path, name);
  return new KilnError(
    'bad_input',
    `Kiln could not read ${name} as CSV${reason ? ` (${reason})` : ''}. Check the separator, the header row and the encoding in the import options.`,
    'path',
  );
}

function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / (1024 * 1024)).toFixed(bytes % (1024 * 1024) === 0 ? 0 : 1)} MB`
    : `${Math.round(bytes / 1024)} KB`;
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
    `SELECT Delimiter, Quote, HasHeader, SkipRows, len(Columns) AS n FROM sniff_csv(${quoteLiteral(path)}${extra})`,
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

/**
 * Lines before the header that start with `#` (`# exported by …`): skipped with `skip`.
 * DuckDB's `comment` option would also cut every value at a `#`, which data can hold.
 */
export function leadingCommentLines(text: string): number {
  let count = 0;
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    if (!line.trimStart().startsWith('#')) break;
    count += 1;
  }
  return count;
}

/**
 * Bytes per data row when not even two rows fit in the head (wide files): reads on
 * until 20 rows after the header, or 16 MB, have been seen.
 */
async function rowBytesBeyondHead(path: string): Promise<number> {
  const limit = 16 * 1024 * 1024;
  let offset = 0;
  let headerEnd = -1;
  let lastBreak = -1;
  let breaks = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, end: limit - 1 })) {
    const buffer = chunk as Buffer;
    let at = buffer.indexOf(0x0a);
    while (at >= 0) {
      breaks += 1;
      if (headerEnd < 0) headerEnd = offset + at + 1;
      lastBreak = offset + at + 1;
      at = breaks > 20 ? -1 : buffer.indexOf(0x0a, at + 1);
    }
    offset += buffer.length;
    if (breaks > 20) break;
  }
  if (breaks < 2) return offset;
  return (lastBreak - headerEnd) / (breaks - 1);
}

/** Works out how to read the file: encoding, separator, quote, header and unique column names. */
export async function resolveReadSettings(
  connection: DuckDBConnection,
  path: string,
  options: ImportOptions = {},
  /** Where a UTF-8 copy of a UTF-16 file is written; the caller removes it with `releaseReadSettings`. */
  tmpDir?: string,
): Promise<ReadSettings> {
  const fileName = basename(path);
  const raw = await readHead(path);
  const compression = compressionOf(raw);
  const utf16 = compression === 'none' ? utf16Of(raw) : undefined;
  let readPath = path;
  let temporary: string | undefined;
  let head: Buffer;
  let complete: boolean;
  if (utf16) {
    if (!tmpDir) throw new KilnError('internal', 'Reading a UTF-16 file needs a folder for its UTF-8 copy.');
    temporary = await transcodeUtf16(path, utf16, tmpDir);
    readPath = temporary;
    head = await readHead(readPath);
    complete = head.length < headBytes;
  } else {
    ({ head, complete } = await readTextHead(path, compression));
  }
  try {
    const settings = await resolveFromHead(connection, {
      path: readPath,
      fileName,
      temporary,
      compression,
      head,
      complete,
      options,
      encoding: utf16 ?? options.encoding ?? detectEncoding(head, complete),
    });
    return settings;
  } catch (error) {
    await releaseReadSettings({ temporary });
    throw error;
  }
}

async function resolveFromHead(
  connection: DuckDBConnection,
  input: {
    path: string;
    fileName: string;
    temporary: string | undefined;
    compression: Compression;
    head: Buffer;
    complete: boolean;
    options: ImportOptions;
    encoding: Encoding;
  },
): Promise<ReadSettings> {
  const { path, fileName, compression, head, complete, options, encoding } = input;
  const maxLineBytes = options.maxLineBytes;
  const headText = new TextDecoder(encoding === 'latin-1' ? 'latin1' : 'utf-8').decode(head);
  const comments = leadingCommentLines(headText);
  const describeError = (error: unknown) => describeCsvError({ path, fileName }, error);

  const fixed = fixedOptions({ compression, maxLineBytes });
  const args = ['all_varchar = true', `encoding = ${quoteLiteral(duckEncoding(encoding))}`, ...fixed];
  if (comments > 0) args.push(`skip = ${comments}`);
  if (options.delimiter) args.push(`delim = ${quoteLiteral(options.delimiter)}`);
  if (options.header !== undefined) args.push(`header = ${options.header}`);
  let sniffed: DuckSniff;
  try {
    // The sniffer gives up on some small files with rows of the wrong length (those rows are reported
    // later), and on some files that DuckDB reads with its defaults: each reading is tried in turn.
    const attempts = [args, [...args, 'ignore_errors = true'], [...args, 'strict_mode = false']];
    let found: DuckSniff | undefined;
    let firstError: unknown;
    for (const attempt of attempts) {
      try {
        found = await duckSniff(connection, path, attempt);
        break;
      } catch (error) {
        firstError ??= error;
      }
    }
    if (!found) throw firstError;
    sniffed = found;
    // Rows with the wrong number of fields can lead the sniffer to read the file as one column;
    // a separator that splits the header and most lines the same way is then the better reading.
    const guess = guessDelimiter(headText.split(/\r?\n/).slice(comments).join('\n'));
    if (!options.delimiter && sniffed.columns === 1 && guess && guess !== sniffed.delimiter) {
      sniffed = await duckSniff(connection, path, [...args, `delim = ${quoteLiteral(guess)}`, 'ignore_errors = true']);
    }
  } catch (error) {
    throw describeError(error);
  }
  const dialect: Dialect = {
    delimiter: sniffed.delimiter,
    quote: sniffed.quote,
    header: options.header ?? sniffed.header,
    encoding,
    skip: Math.max(sniffed.skip, comments),
  };
  const base = { path, dialect, compression, maxLineBytes };

  let rawNames: string[];
  try {
    // The first row as text, with no missing markers and no header handling: the header cells as written.
    const firstRow = await connection.runAndReadAll(
      `SELECT * FROM ${csvSource(
        {
          ...base,
          dialect: { ...dialect, header: false },
          sourceNames: Array.from({ length: Math.max(1, sniffed.columns) }, (_, index) => `c${index}`),
        },
        'ignore_errors = true, null_padding = true, parallel = false',
      )} LIMIT 1`,
    );
    const cells = (firstRow.getRows()[0] ?? []).map((cell) => (cell === null ? '' : String(cell)));
    const width = Math.max(cells.length, sniffed.columns);
    rawNames = dialect.header
      ? Array.from({ length: width }, (_, index) => (cells[index] ?? '').replace(/^\uFEFF/, ''))
      : Array.from({ length: width }, (_, index) => `column_${index + 1}`);
  } catch (error) {
    throw describeError(error);
  }
  if (rawNames.length === 0) throw new KilnError('bad_input', `Kiln found no columns in ${fileName}.`, 'path');
  const { names, renamed } = uniqueNames(rawNames);
  let bytesPerRow: number | undefined;
  if (compression === 'none') {
    const lines = headText.split('\n').length - (complete ? 0 : 1);
    const usable = complete ? head.length : head.lastIndexOf(0x0a) + 1;
    const headerBytes = head.indexOf(0x0a) + 1;
    const measured = lines > 2 || complete ? (usable - headerBytes) / Math.max(1, lines - 1) : await rowBytesBeyondHead(path);
    // A row holds at least one byte per column (its separators and line break).
    bytesPerRow = Math.max(names.length, measured || usable);
  }
  return {
    path,
    fileName,
    temporary: input.temporary,
    compression,
    maxLineBytes,
    dialect,
    sourceNames: names.map((_, index) => `kiln_source_${index + 1}`),
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
  tmpDir?: string,
): Promise<SniffResult> {
  const settings = await resolveReadSettings(connection, path, options, tmpDir);
  try {
    return await previewRows(connection, settings, path, bytes, options);
  } finally {
    await releaseReadSettings(settings);
  }
}

async function previewRows(
  connection: DuckDBConnection,
  settings: ReadSettings,
  path: string,
  bytes: number,
  options: ImportOptions,
): Promise<SniffResult> {
  const rows: SniffResult['rows'] = [];
  const typed: Awaited<ReturnType<typeof inferColumnTypes>> = [];
  try {
    for (const group of columnGroups(settings)) {
      const relation = `(SELECT ${cleanedSelect(settings, group)} FROM ${csvSource(settings, 'ignore_errors = true')} LIMIT ${previewTypingRows})`;
      const reader = await connection.runAndReadAll(`SELECT * FROM ${relation} LIMIT ${previewRowCount}`);
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
    throw describeCsvError(settings, error);
  }
  const notes: ColumnNote[] = typed.flatMap((column) => column.notes.map((message) => ({ column: column.name, message })));
  if (rows.length === 0) {
    notes.unshift({ column: '', message: `${settings.fileName} has a header but no rows of data.` });
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
