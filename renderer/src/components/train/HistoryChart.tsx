import { useMemo } from 'react';
import type { EpochRecord } from '../../../../shared/api/train.js';
import { EChart, type ChartOption } from '../charts/EChart.js';
import { axisStyle, legendStyle, tooltipStyle, useSeriesPalette } from './chartSetup.js';
import { formatMetric, metricTitle } from './format.js';

export interface HistorySeries {
  runId: string;
  label: string;
  metricName: string;
  /** Trees count boosting rounds, neural models epochs. */
  unit: 'epoch' | 'round';
  records: EpochRecord[];
}

type Kind = 'loss' | 'metric';

interface TooltipItem {
  seriesId: string;
  seriesName: string;
  marker: string;
  value: [number, number];
}

const points = (records: EpochRecord[], pick: (record: EpochRecord) => number | null) =>
  records.flatMap((record) => {
    const value = pick(record);
    return value === null || !Number.isFinite(value) ? [] : [[record.epoch, value]];
  });

/**
 * Loss (training dashed, validation solid) or the validation metric against
 * epoch or round, one colour per run.
 */
export function HistoryChart({ series, kind, height = 240 }: { series: HistorySeries[]; kind: Kind; height?: number }) {
  const { colors, palette } = useSeriesPalette();
  const metricNames = [...new Set(series.map((entry) => entry.metricName))];
  const units = [...new Set(series.map((entry) => entry.unit))];
  const xName = units.length === 1 && units[0] === 'round' ? 'round' : units.length === 1 ? 'epoch' : 'epoch / round';
  const yName = kind === 'loss' ? 'loss' : metricNames.map(metricTitle).join(' / ');

  const option = useMemo<ChartOption>(() => {
    const lines = series.flatMap((entry, index) => {
      const color = palette[index % palette.length];
      // Both loss lines of a run share its name, so the legend lists runs and toggles the pair; the dash tells them apart.
      const common = { type: 'line', showSymbol: false, color, name: entry.label, emphasis: { focus: 'series' } };
      if (kind === 'metric') {
        return [
          { ...common, id: `${entry.runId}:metric`, data: points(entry.records, (record) => record.validMetric), lineStyle: { width: 2 } },
        ];
      }
      return [
        {
          ...common,
          id: `${entry.runId}:train`,
          data: points(entry.records, (record) => record.trainLoss),
          lineStyle: { width: 1.5, type: 'dashed' },
        },
        { ...common, id: `${entry.runId}:valid`, data: points(entry.records, (record) => record.validLoss), lineStyle: { width: 2 } },
      ];
    });
    return {
      animation: false,
      color: palette,
      legend: legendStyle(colors),
      grid: { left: 8, right: 20, top: 36, bottom: 26, containLabel: true },
      tooltip: {
        ...tooltipStyle(colors),
        trigger: 'axis',
        formatter: (params: TooltipItem[]) => {
          const first = params[0];
          if (!first) return '';
          const lines = params.map((item) => {
            const part = item.seriesId.endsWith(':train') ? ' training' : item.seriesId.endsWith(':valid') ? ' validation' : '';
            return `${item.marker} ${item.seriesName}${part}: <b>${formatMetric(item.value[1])}</b>`;
          });
          return [`${xName} ${first.value[0]}`, ...lines].join('<br/>');
        },
      },
      xAxis: {
        type: 'value',
        name: xName,
        nameLocation: 'middle',
        nameGap: 24,
        minInterval: 1,
        ...axisStyle(colors),
        splitLine: { show: false },
      },
      yAxis: { type: 'value', scale: true, ...axisStyle(colors) },
      series: lines,
    };
  }, [series, kind, colors, palette, xName]);

  const label =
    kind === 'loss'
      ? `Training and validation loss by ${xName} for ${series.length} run${series.length === 1 ? '' : 's'}`
      : `Validation ${yName} by ${xName} for ${series.length} run${series.length === 1 ? '' : 's'}`;
  return <EChart option={option} height={height} label={label} />;
}
