/**
 * A classifier's label when the graph gives only probabilities: binary models
 * compare P(classes[1]) with the threshold, multiclass ones take the most
 * probable class (the first on a tie).
 */
export function labelFromProbabilities(
  probabilities: ArrayLike<number>,
  row: number,
  classes: readonly string[],
  threshold: number,
): string {
  const width = classes.length;
  const base = row * width;
  if (width === 2) return probabilities[base + 1]! >= threshold ? classes[1]! : classes[0]!;
  let best = 0;
  for (let column = 1; column < width; column += 1) if (probabilities[base + column]! > probabilities[base + best]!) best = column;
  return classes[best]!;
}
