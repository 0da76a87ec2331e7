import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';

/**
 * A path to write to and then commit. Readers never see a half-written file:
 * the data goes to a temporary name in the same folder and is renamed into place
 * only when complete (rename is atomic within one file system).
 */
export interface PendingFile {
  readonly tempPath: string;
  readonly finalPath: string;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export async function pendingFile(finalPath: string): Promise<PendingFile> {
  await mkdir(dirname(finalPath), { recursive: true });
  const tempPath = join(dirname(finalPath), `.${basename(finalPath)}.${randomBytes(6).toString('hex')}.tmp`);
  return {
    tempPath,
    finalPath,
    commit: () => rename(tempPath, finalPath),
    abort: () => rm(tempPath, { force: true, recursive: true }),
  };
}

export async function writeFileAtomic(finalPath: string, data: string | Uint8Array): Promise<void> {
  const pending = await pendingFile(finalPath);
  try {
    await writeFile(pending.tempPath, data);
    await pending.commit();
  } catch (error) {
    await pending.abort();
    throw error;
  }
}

export async function writeStreamAtomic(finalPath: string, source: Readable): Promise<void> {
  const pending = await pendingFile(finalPath);
  try {
    await pipeline(source, createWriteStream(pending.tempPath));
    await pending.commit();
  } catch (error) {
    await pending.abort();
    throw error;
  }
}
