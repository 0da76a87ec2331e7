import { KilnError } from '../../../shared/errors.js';

export function badInput(message: string, field: string): KilnError {
  return new KilnError('bad_input', message, field);
}

/**
 * Throws naming how many rows hold a value that is not a finite number, so a
 * model that diverged is reported as such instead of producing NaN metrics.
 */
export function requireFinite(values: ArrayLike<number>, columns: number, field: string, what: string): void {
  let badRows = 0;
  let firstRow = -1;
  const rows = values.length / columns;
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      if (!Number.isFinite(values[row * columns + column] as number)) {
        if (firstRow < 0) firstRow = row;
        badRows++;
        break;
      }
    }
  }
  if (badRows > 0) {
    throw badInput(`${what}: ${badRows} of ${plural(rows, 'row')} hold NaN or infinite values (first at row ${firstRow}).`, field);
  }
}

export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`;
}
