/** Column types as a user says them: "whole number" and "text", not the storage engine's BIGINT and VARCHAR. */
const words: [RegExp, string][] = [
  [/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|INT\d*)$/i, 'whole number'],
  [/^(FLOAT|REAL|DOUBLE|DECIMAL.*|NUMERIC.*)$/i, 'decimal number'],
  [/^(VARCHAR|TEXT|STRING)$/i, 'text'],
  [/^BOOL(EAN)?$/i, 'true/false'],
  [/^DATE$/i, 'date'],
  [/^(TIMESTAMP.*|DATETIME)$/i, 'date & time'],
  [/^TIME$/i, 'time of day'],
];

export function typeWord(type: string): string {
  return words.find(([pattern]) => pattern.test(type.trim()))?.[1] ?? type.toLowerCase();
}

/** Labels for a list of type options, for selects that store the engine's name. */
export function typeWordLabels<T extends string>(types: readonly T[]): Record<T, string> {
  return Object.fromEntries(types.map((type) => [type, typeWord(type)])) as Record<T, string>;
}
