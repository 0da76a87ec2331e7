/**
 * The drift bins of a number column. The exporter cuts the training values at
 * inner edges and records each bin's share; the server counts recent inputs
 * into the same bins to compare them. Both count through numericBin.
 */

/**
 * Bin of x under ascending inner cut points `edges`: bin b holds
 * edges[b−1] < x ≤ edges[b], the first and last bins are open, so there are
 * edges.length + 1 bins. That is the number of edges below x.
 */
export function numericBin(edges: ArrayLike<number>, x: number): number {
  let low = 0;
  let high = edges.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (x <= edges[middle]!) high = middle;
    else low = middle + 1;
  }
  return low;
}

/** How many bins a profile with these edges has. */
export function binCount(edges: ArrayLike<number>): number {
  return edges.length + 1;
}
