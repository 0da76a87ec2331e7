/**
 * Cells that mean "missing" unless the user edits the list, compared after
 * trimming spaces. The import applies them to the training data; a bundle's
 * schema.json carries the list the import used, and this one stands in when
 * it lists none, so a cell means the same to the server as it did in training.
 */
export const DEFAULT_MISSING_MARKERS: readonly string[] = ['', '?', 'NA', 'N/A', 'null', 'NULL'];
