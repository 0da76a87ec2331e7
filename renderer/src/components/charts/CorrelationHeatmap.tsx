import { useMemo } from 'react';
import type { DatasetProfile } from '../../../../shared/api.js';
import { useChartColors } from './chartColors.js';
import { tooltip } from './ColumnChart.js';
import { EChart } from './EChart.js';

/** Pearson correlations of the numeric columns, from −1 (focus colour) through 0 (surface) to +1 (accent). */
export function CorrelationHeatmap({ correlation }: { correlation: DatasetProfile['correlation'] }) {
  const colors = useChartColors();
  const { columns, matrix } = correlation;
  const option = useMemo(() => {
    // Strong cells are drawn in saturated colours, so their numbers take the text colour meant for the accent.
    const data = matrix.flatMap((row, y) =>
      row.map((value, x) => ({
        value: [x, y, value === null ? '-' : Number(value.toFixed(3))] as [number, number, number | '-'],
        label: { color: value !== null && Math.abs(value) >= 0.6 ? colors.accentText : colors.text },
      })),
    );
    const size = columns.length;
    return {
      animation: false,
      tooltip: {
        ...tooltip(colors),
        formatter: (params: { value: [number, number, number | '-'] }) => {
          const [x, y, value] = params.value;
          return `${escapeHtml(columns[y] ?? '')} ~ ${escapeHtml(columns[x] ?? '')}<br/>r = ${value === '-' ? 'n/a' : value.toFixed(3)}`;
        },
      },
      grid: { left: 8, right: 16, top: 8, bottom: 64, containLabel: true },
      xAxis: {
        type: 'category',
        data: columns,
        axisLabel: { color: colors.muted, rotate: 45, interval: size > 20 ? 'auto' : 0, width: 110, overflow: 'truncate' },
        axisLine: { lineStyle: { color: colors.border } },
        splitArea: { show: false },
      },
      yAxis: {
        type: 'category',
        data: columns,
        inverse: true,
        axisLabel: { color: colors.muted, interval: size > 20 ? 'auto' : 0, width: 110, overflow: 'truncate' },
        axisLine: { lineStyle: { color: colors.border } },
      },
      visualMap: {
        min: -1,
        max: 1,
        calculable: true,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        itemHeight: 160,
        textStyle: { color: colors.muted },
        inRange: { color: [colors.focus, colors.surface2, colors.accent] },
      },
      series: [
        {
          type: 'heatmap',
          data,
          label: {
            show: size <= 12,
            fontSize: 11,
            formatter: (params: { value: [number, number, number | '-'] }) => (params.value[2] === '-' ? '' : params.value[2].toFixed(2)),
          },
          itemStyle: { borderColor: colors.surface, borderWidth: 1 },
          emphasis: { itemStyle: { borderColor: colors.text, borderWidth: 1 } },
        },
      ],
    };
  }, [columns, matrix, colors]);
  const height = Math.min(640, Math.max(280, columns.length * 28 + 140));
  return <EChart option={option} height={height} label={`Correlation heatmap of ${columns.length} numeric columns`} />;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
