import { useMemo } from 'react';
import type { ColumnProfile } from '../../../../shared/api.js';
import { useChartColors, type ChartColors } from './chartColors.js';
import { EChart, type ChartOption } from './EChart.js';

export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || (magnitude > 0 && magnitude < 1e-3)) return value.toExponential(2);
  return value.toLocaleString('en-US', { maximumFractionDigits: magnitude >= 100 ? 1 : 3 });
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

function axis(colors: ChartColors) {
  return {
    axisLine: { lineStyle: { color: colors.border } },
    axisTick: { lineStyle: { color: colors.border } },
    axisLabel: { color: colors.muted },
    splitLine: { lineStyle: { color: colors.border, opacity: 0.6 } },
  };
}

export function tooltip(colors: ChartColors) {
  return {
    backgroundColor: colors.surface,
    borderColor: colors.border,
    textStyle: { color: colors.text },
    confine: true,
  };
}

function columnOption(column: ColumnProfile, colors: ChartColors): ChartOption | null {
  if (column.histogram && column.histogram.length > 0) {
    const bins = column.histogram;
    // Ticks name each bin by its lower edge, compactly; the tooltip gives the whole range.
    const labels = bins.map((bin) => compact.format(bin.low));
    return {
      animation: false,
      grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
      tooltip: {
        ...tooltip(colors),
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        formatter: (params: { dataIndex: number }[]) => {
          const bin = bins[params[0]?.dataIndex ?? 0];
          if (!bin) return '';
          const range = bin.low === bin.high ? formatNumber(bin.low) : `${formatNumber(bin.low)} to ${formatNumber(bin.high)}`;
          return `${range}<br/>${bin.count.toLocaleString('en-US')} rows`;
        },
      },
      xAxis: { type: 'category', data: labels, ...axis(colors), axisLabel: { color: colors.muted, hideOverlap: true } },
      yAxis: { type: 'value', name: 'rows', nameTextStyle: { color: colors.muted }, ...axis(colors) },
      series: [{ type: 'bar', data: column.histogram.map((bin) => bin.count), itemStyle: { color: colors.accent }, barCategoryGap: '8%' }],
    };
  }
  if (column.top && column.top.values.length > 0) {
    const entries = [...column.top.values];
    const labels = entries.map((entry) => entry.value);
    const counts = entries.map((entry) => entry.count);
    if (column.top.other > 0) {
      labels.push('(other values)');
      counts.push(column.top.other);
    }
    if (column.missing > 0) {
      labels.push('(missing)');
      counts.push(column.missing);
    }
    const missingIndex = column.missing > 0 ? labels.length - 1 : -1;
    const otherIndex = column.top.other > 0 ? entries.length : -1;
    return {
      animation: false,
      grid: { left: 8, right: 48, top: 8, bottom: 24, containLabel: true },
      tooltip: { ...tooltip(colors), trigger: 'axis', axisPointer: { type: 'shadow' } },
      xAxis: { type: 'value', ...axis(colors) },
      yAxis: {
        type: 'category',
        data: labels,
        inverse: true,
        ...axis(colors),
        axisLabel: { color: colors.text, width: 160, overflow: 'truncate' },
      },
      series: [
        {
          type: 'bar',
          data: counts.map((count, index) => ({
            value: count,
            itemStyle: { color: index === missingIndex || index === otherIndex ? colors.missing : colors.accent },
          })),
          label: {
            show: true,
            position: 'right',
            color: colors.muted,
            formatter: (params: { value: number }) => formatNumber(params.value),
          },
        },
      ],
    };
  }
  return null;
}

/** The larger chart of the details panel: a histogram for numbers, a bar chart of the top values for categories. */
export function ColumnChart({ column }: { column: ColumnProfile }) {
  const colors = useChartColors();
  const option = useMemo(() => columnOption(column, colors), [column, colors]);
  if (!option) return <p className="muted">No values to chart.</p>;
  const bars = column.histogram ? 0 : (column.top?.values.length ?? 0) + 2;
  const height = column.histogram ? 260 : Math.max(160, bars * 26 + 40);
  return <EChart option={option} height={height} label={`Distribution of ${column.name}`} />;
}
