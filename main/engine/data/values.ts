import type { DuckDBValue } from '@duckdb/node-api';
import type { JsonCell } from '../../../shared/api.js';

/** DuckDB values as JSON cells: integers stay numbers when they fit, everything else becomes text. */
export function toJsonCell(value: DuckDBValue): JsonCell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  return String(value);
}
