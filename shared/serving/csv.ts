/** How a predictions CSV is written, by the server's `/predict` (Accept: text/csv) and by `kiln predict`. */

/** One cell, quoted (RFC 4180) only when it holds a comma, a quote or a line break. */
export function csvCell(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The header of a predictions file: the label, then one probability column per class (classifiers). */
export function predictionsHeader(classes: readonly string[] | null): string {
  const names = classes === null ? ['prediction'] : ['prediction', ...classes.map((name) => `probability_${name}`)];
  return names.map(csvCell).join(',');
}

/** One classifier row: the label, then the probabilities in class order. */
export function classifierLine(label: string, probabilities: ArrayLike<number>, start: number, width: number): string {
  let line = csvCell(label);
  for (let column = 0; column < width; column += 1) line += `,${probabilities[start + column]}`;
  return line;
}
