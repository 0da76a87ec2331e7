import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pendingFile, writeFileAtomic, writeStreamAtomic } from '../../../main/engine/workspace/files.js';
import { tempDir } from '../../helpers/engine.js';

describe('atomic file writes', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await tempDir('kiln-atomic-');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writeFileAtomic writes the whole file and leaves no temporary file', async () => {
    const target = join(dir, 'nested', 'model.json');
    await writeFileAtomic(target, '{"ok":true}');
    expect(await readFile(target, 'utf8')).toBe('{"ok":true}');
    expect(await readdir(join(dir, 'nested'))).toEqual(['model.json']);
  });

  it('writeFileAtomic replaces an existing file in one step', async () => {
    const target = join(dir, 'model.json');
    await writeFile(target, 'old');
    await writeFileAtomic(target, new Uint8Array(Buffer.from('new content')));
    expect(await readFile(target, 'utf8')).toBe('new content');
    expect(await readdir(dir)).toEqual(['model.json']);
  });

  it('writeFileAtomic removes its temporary file when the rename fails', async () => {
    // A non-empty folder in the target's place makes the final rename fail after the data was written.
    const target = join(dir, 'occupied');
    await mkdir(target);
    await writeFile(join(target, 'keep.txt'), 'keep');
    await expect(writeFileAtomic(target, 'data')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['occupied']);
    expect(await readdir(target)).toEqual(['keep.txt']);
  });

  it('writeStreamAtomic never leaves a half-written target when the source fails midway', async () => {
    const target = join(dir, 'upload.csv');
    await writeFile(target, 'previous,complete\n1,2\n');
    async function* failing() {
      yield Buffer.from('a,b\n1,2\n');
      yield Buffer.from('3,4\n');
      throw new Error('connection reset');
    }
    await expect(writeStreamAtomic(target, Readable.from(failing()))).rejects.toThrow('connection reset');
    expect(await readFile(target, 'utf8')).toBe('previous,complete\n1,2\n');
    expect(await readdir(dir)).toEqual(['upload.csv']);
  });

  it('writeStreamAtomic creates no target at all when the first write fails', async () => {
    const target = join(dir, 'fresh.csv');
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('partial');
      throw new Error('aborted by the client');
    }
    await expect(writeStreamAtomic(target, Readable.from(failing()))).rejects.toThrow('aborted by the client');
    expect(await readdir(dir)).toEqual([]);
  });

  it('pendingFile keeps its data invisible until commit, and abort removes it', async () => {
    const target = join(dir, 'table.parquet');
    const kept = await pendingFile(target);
    expect(kept.finalPath).toBe(target);
    expect(kept.tempPath).not.toBe(target);
    await writeFile(kept.tempPath, 'rows');
    expect(await readdir(dir)).not.toContain('table.parquet');
    await kept.commit();
    expect(await readFile(target, 'utf8')).toBe('rows');

    const dropped = await pendingFile(join(dir, 'other.parquet'));
    await writeFile(dropped.tempPath, 'half');
    await dropped.abort();
    expect(await readdir(dir)).toEqual(['table.parquet']);
  });

  it('two pending files for the same target get different temporary names', async () => {
    const target = join(dir, 'same.bin');
    const [first, second] = await Promise.all([pendingFile(target), pendingFile(target)]);
    expect(first.tempPath).not.toBe(second.tempPath);
  });
});
