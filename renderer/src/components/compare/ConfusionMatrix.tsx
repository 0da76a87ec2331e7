/**
 * A confusion matrix as a table (screen readers read it cell by cell), shaded
 * by each cell's share of its true class so large and small classes compare.
 */
export function ConfusionMatrix({ labels, counts, runLabel }: { labels: string[]; counts: number[][]; runLabel: string }) {
  const total = counts.reduce((sum, row) => sum + row.reduce((rowSum, count) => rowSum + count, 0), 0);
  return (
    <table className="confusion">
      <caption className="visually-hidden">Confusion matrix of {runLabel}: rows are the true class, columns the predicted class</caption>
      <thead>
        <tr>
          <th scope="col" className="confusion-corner">
            true ╲ predicted
          </th>
          {labels.map((label) => (
            <th key={label} scope="col">
              {label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {counts.map((row, rowIndex) => {
          const rowTotal = row.reduce((sum, count) => sum + count, 0);
          return (
            <tr key={labels[rowIndex] ?? rowIndex}>
              <th scope="row">{labels[rowIndex]}</th>
              {row.map((count, columnIndex) => {
                const share = rowTotal > 0 ? count / rowTotal : 0;
                const strong = share > 0.5;
                return (
                  <td
                    key={columnIndex}
                    className={`${rowIndex === columnIndex ? 'diagonal' : 'off'}${strong ? ' strong' : ''}`}
                    style={{ ['--share' as string]: `${Math.round(share * 100)}%` }}
                    title={`${count.toLocaleString('en-US')} rows (${(share * 100).toFixed(1)}% of true ${labels[rowIndex] ?? ''})`}
                  >
                    <span className="confusion-count">{count.toLocaleString('en-US')}</span>
                    <span className="confusion-share">{(share * 100).toFixed(1)}%</span>
                  </td>
                );
              })}
            </tr>
          );
        })}
      </tbody>
      <tfoot>
        <tr>
          <td colSpan={labels.length + 1} className="muted small">
            {total.toLocaleString('en-US')} validation rows; shading is each cell’s share of its true class.
          </td>
        </tr>
      </tfoot>
    </table>
  );
}
