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
  /** x, y, and the epoch or round the point is from (x is a share of the run when families are mixed). */
  value: [number, number, number];
}

/** [x, y, epoch]; with `length`, x is the point's share of the run's length, so runs of different units line up. */
const points = (records: EpochRecord[], pick: (record: EpochRecord) => number | null, length: number | null) =>
  records.flatMap((record) => {
    const value = pick(record);
    if (value === null || !Number.isFinite(value)) return [];
    return [[length ? record.epoch / length : record.epoch, value, record.epoch]];
  });

const unitWords = { epoch: 'epoch', round: 'round' } as const;

/**
 * Loss (training dashed, validation solid) or the validation metric against
 * epoch or round, one colour per run. An epoch of a neural network and a
 * boosting round of a tree model are not the same step, so when both are drawn
 * each run is normalised to its own length (0 to 100% of the run). A run with
 * one point shows the point.
 */
export function HistoryChart({ series, kind, height = 240 }: { series: HistorySeries[]; kind: Kind; height?: number }) {
  const { colors, palette } = useSeriesPalette();
  const metricNames = [...new Set(series.map((entry) => entry.metricName))];
  const units = [...new Set(series.map((entry) => entry.unit))];
  const mixed = units.length > 1;
  const xName = mixed ? 'share of each run' : units[0] === 'round' ? 'round' : 'epoch';
  const yName = kind === 'loss' ? 'loss' : metricNames.map(metricTitle).join(' / ');

  const option = useMemo<ChartOption>(() => {
    const unitOf = new Map(series.map((entry) => [entry.runId, entry.unit]));
    const lines = series.flatMap((entry, index) => {
      const color = palette[index % palette.length];
      const length = mixed ? Math.max(1, ...entry.records.map((record) => record.epoch)) : null;
      // One point has no line to draw: its symbol is the point.
      const single = entry.records.length <= 1;
      // Both loss lines of a run share its name, so the legend lists runs and toggles the pair; the dash tells them apart.
      const common = { type: 'line', showSymbol: single, symbolSize: 8, color, name: entry.label, emphasis: { focus: 'series' } };
      if (kind === 'metric') {
        return [
          {
            ...common,
            id: `${entry.runId}:metric`,
            data: points(entry.records, (record) => record.validMetric, length),
            lineStyle: { width: 2 },
          },
        ];
      }
      return [
        {
          ...common,
          id: `${entry.runId}:train`,
          data: points(entry.records, (record) => record.trainLoss, length),
          lineStyle: { width: 1.5, type: 'dashed' },
        },
        {
          ...common,
          id: `${entry.runId}:valid`,
          data: points(entry.records, (record) => record.validLoss, length),
          lineStyle: { width: 2 },
        },
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
            const unit = unitWords[unitOf.get(item.seriesId.split(':')[0] ?? '') ?? 'epoch'];
            const where = mixed ? ` (${unit} ${item.value[2]})` : '';
            return `${item.marker} ${item.seriesName}${part}${where}: <b>${formatMetric(item.value[1])}</b>`;
          });
          return [mixed ? `${Math.round(first.value[0] * 100)}% of each run` : `${xName} ${first.value[2]}`, ...lines].join('<br/>');
        },
      },
      xAxis: {
        type: 'value',
        name: xName,
        nameLocation: 'middle',
        nameGap: 24,
        ...axisStyle(colors),
        ...(mixed
          ? { min: 0, max: 1, axisLabel: { ...axisStyle(colors).axisLabel, formatter: (value: number) => `${Math.round(value * 100)}%` } }
          : // From 0, and at least one step wide, so a single point sits inside the chart rather than on a 0.4 to 1.4 axis.
            { min: 0, max: (extent: { max: number }) => Math.max(1, Math.ceil(extent.max)), minInterval: 1 }),
        splitLine: { show: false },
      },
      yAxis: { type: 'value', scale: true, ...axisStyle(colors) },
      series: lines,
    };
  }, [series, kind, colors, palette, xName, mixed]);

  const label =
    kind === 'loss'
      ? `Training and validation loss by ${xName} for ${series.length} run${series.length === 1 ? '' : 's'}`
      : `Validation ${yName} by ${xName} for ${series.length} run${series.length === 1 ? '' : 's'}`;
  return <EChart option={option} height={height} label={label} />;
}
