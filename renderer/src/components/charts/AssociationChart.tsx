import { useMemo } from 'react';
import type { AssociationMeasure, Associations } from '../../../../shared/api.js';
import { useChartColors } from './chartColors.js';
import { tooltip } from './ColumnChart.js';
import { escapeHtml } from './CorrelationHeatmap.js';
import { EChart } from './EChart.js';

export const measureLabel: Record<AssociationMeasure, string> = {
  cramers_v: "Cramér's V",
  eta: 'η (correlation ratio)',
  abs_pearson: '|Pearson r|',
};

const shown = 30;

/** Each feature's association with the target, strongest first; bars of 0.95 and above (likely leakage) stand out. */
export function AssociationChart({ associations }: { associations: Associations }) {
  const colors = useChartColors();
  const items = useMemo(() => associations.items.slice(0, shown), [associations]);
  const option = useMemo(
    () => ({
      animation: false,
      grid: { left: 8, right: 48, top: 8, bottom: 24, containLabel: true },
      tooltip: {
        ...tooltip(colors),
        trigger: 'item',
        formatter: (params: { dataIndex: number }) => {
          const item = items[params.dataIndex];
          return item ? `${escapeHtml(item.column)}<br/>${measureLabel[item.measure]}: ${item.value.toFixed(3)}` : '';
        },
      },
      xAxis: {
        type: 'value',
        min: 0,
        max: 1,
        axisLabel: { color: colors.muted },
        splitLine: { lineStyle: { color: colors.border, opacity: 0.6 } },
      },
      yAxis: {
        type: 'category',
        inverse: true,
        data: items.map((item) => item.column),
        axisLabel: { color: colors.text, width: 150, overflow: 'truncate' },
        axisLine: { lineStyle: { color: colors.border } },
      },
      series: [
        {
          type: 'bar',
          data: items.map((item) => ({
            value: Number(item.value.toFixed(4)),
            itemStyle: { color: item.value >= 0.95 ? colors.focus : colors.accent },
          })),
          label: { show: true, position: 'right', color: colors.muted, formatter: (params: { value: number }) => params.value.toFixed(2) },
        },
      ],
    }),
    [items, colors],
  );
  return (
    <EChart
      option={option}
      height={Math.max(160, items.length * 24 + 40)}
      label={`Association of each feature with ${associations.target}`}
    />
  );
}
