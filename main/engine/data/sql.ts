/** Every identifier and literal that reaches DuckDB goes through these. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function sqlList(values: readonly string[]): string {
  return `[${values.map(quoteLiteral).join(', ')}]`;
}
