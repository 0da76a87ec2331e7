/**
 * Which process owns a job, told apart from a later process that happens to get the same pid: the owner is
 * recorded as its pid plus a token naming when that process started. Another process can then ask whether
 * the owner is still running without any heartbeat or lock file that a crash would leave behind.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface ProcessOwner {
  readonly pid: number;
  readonly token: string;
}

/** Tokens of platforms where a process's start cannot be read: only the pid can be checked there. */
const UNVERIFIABLE = 'pid-only:';

let bootId: string | undefined;

function linuxBootId(): string {
  // Start times count from boot, so the same pid and start time after a reboot is another process.
  bootId ??= (() => {
    try {
      return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      return 'unknown-boot';
    }
  })();
  return bootId;
}

/** A string naming when process `pid` started, or undefined when it is not running or its start cannot be read. */
export function processStartToken(pid: number): string | undefined {
  if (process.platform === 'linux') {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return undefined;
    }
    // The command name (field 2) may hold spaces and parentheses, so fields are counted from the last ')':
    // what follows is field 3 onwards, and the start time (in clock ticks since boot) is field 22.
    const startTicks = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .at(22 - 3);
    return startTicks === undefined ? undefined : `linux:${linuxBootId()}:${startTicks}`;
  }
  if (process.platform === 'darwin' || process.platform.endsWith('bsd')) {
    const ps = spawnSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', timeout: 5000 });
    const started = ps.status === 0 ? ps.stdout.trim() : '';
    return started === '' ? undefined : `ps:${started}`;
  }
  return undefined;
}

let current: ProcessOwner | undefined;

/** This process as a job owner. */
export function currentOwner(): ProcessOwner {
  current ??= {
    pid: process.pid,
    token: processStartToken(process.pid) ?? `${UNVERIFIABLE}${randomBytes(8).toString('hex')}`,
  };
  return current;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the process that recorded `owner` is still running. */
export function ownerIsAlive(owner: ProcessOwner): boolean {
  const self = currentOwner();
  if (owner.pid === self.pid) return owner.token === self.token;
  if (!Number.isInteger(owner.pid) || owner.pid <= 0 || !pidExists(owner.pid)) return false;
  // Where the start cannot be read the pid is all there is; a reused pid then keeps a dead job "running"
  // until that process exits, which is the safe way to be wrong.
  if (owner.token.startsWith(UNVERIFIABLE)) return true;
  return processStartToken(owner.pid) === owner.token;
}
