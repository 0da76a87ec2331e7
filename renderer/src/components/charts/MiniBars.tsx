/** A tiny bar chart in SVG for a table row: cheap enough for thousands of columns, coloured by the theme's accent. */
export function MiniBars({ values, width = 96, height = 24 }: { values: number[]; width?: number; height?: number }) {
  const max = Math.max(1, ...values);
  const gap = values.length > 30 ? 0 : 1;
  const barWidth = values.length === 0 ? 0 : width / values.length;
  return (
    <svg className="mini-bars" width={width} height={height} viewBox={`0 0 ${width} ${height}`} aria-hidden="true" focusable="false">
      <line x1={0} x2={width} y1={height - 0.5} y2={height - 0.5} className="mini-bars-base" />
      {values.map((value, index) => {
        const barHeight = value === 0 ? 0 : Math.max(1, (value / max) * (height - 1));
        return (
          <rect
            key={index}
            x={index * barWidth + gap / 2}
            y={height - 1 - barHeight}
            width={Math.max(0.5, barWidth - gap)}
            height={barHeight}
          />
        );
      })}
    </svg>
  );
}
