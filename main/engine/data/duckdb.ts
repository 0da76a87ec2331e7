import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { quoteLiteral } from './sql.js';

/**
 * One in-memory DuckDB per engine. DuckDB runs queries on its own native
 * threads, so a long import or profile does not block Node's event loop; each
 * task takes its own connection so it can be interrupted on its own.
 */
export class DuckPool {
  private instance: Promise<DuckDBInstance> | undefined;

  constructor(private readonly tempDir: string) {}

  async connect(): Promise<DuckDBConnection> {
    this.instance ??= (async () => {
      const instance = await DuckDBInstance.create(':memory:', {
        temp_directory: this.tempDir,
      });
      const setup = await instance.connect();
      // Files larger than memory spill to the workspace's tmp folder.
      await setup.run(`SET preserve_insertion_order = true; SET temp_directory = ${quoteLiteral(this.tempDir)}`);
      setup.closeSync();
      return instance;
    })();
    return (await this.instance).connect();
  }

  /** Runs `work` with a fresh connection that is interrupted when `signal` aborts. */
  async with<T>(signal: AbortSignal | undefined, work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const connection = await this.connect();
    const onAbort = () => connection.interrupt();
    signal?.addEventListener('abort', onAbort);
    try {
      return await work(connection);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      connection.closeSync();
    }
  }

  async close(): Promise<void> {
    if (!this.instance) return;
    const instance = await this.instance;
    instance.closeSync();
    this.instance = undefined;
  }
}
