import { useMemo } from 'react';
import type { Run } from '../../../../shared/api/train.js';
import { EChart, type ChartOption } from '../charts/EChart.js';
import { axisStyle, legendStyle, tooltipStyle, useSeriesPalette } from '../train/chartSetup.js';
import { formatMetric, metricTitle } from '../train/format.js';
import type { Curve } from './details.js';

export interface LabelledRun {
  run: Run;
  label: string;
}

/** Validation metrics of the chosen runs side by side, one bar colour per run. */
export function MetricBars({ runs, metrics }: { runs: LabelledRun[]; metrics: string[] }) {
  const { colors, palette } = useSeriesPalette();
  const shown = metrics.filter((name) => runs.some(({ run }) => typeof run.metrics.validation?.[name] === 'number'));
  const option = useMemo<ChartOption>(
    () => ({
      animation: false,
      color: palette,
      legend: legendStyle(colors),
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      tooltip: {
        ...tooltipStyle(colors),
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        valueFormatter: (value: unknown) => (typeof value === 'number' ? formatMetric(value) : '—'),
      },
      xAxis: { type: 'category', data: shown.map(metricTitle), ...axisStyle(colors) },
      yAxis: { type: 'value', ...axisStyle(colors) },
      series: runs.map(({ run, label }) => ({
        type: 'bar',
        name: label,
        data: shown.map((name) => run.metrics.validation?.[name] ?? null),
        barMaxWidth: 36,
      })),
    }),
    [runs, shown, colors, palette],
  );
  return <EChart option={option} height={260} label={`Validation metrics of ${runs.map((entry) => entry.label).join(', ')}`} />;
}

export interface CurveSeries {
  label: string;
  curve: Curve;
  area: number | null;
}

/** ROC or precision-recall curves of several runs on one chart; ROC gets the chance diagonal. */
export function CurveChart({ series, kind }: { series: CurveSeries[]; kind: 'roc' | 'pr' }) {
  const { colors, palette } = useSeriesPalette();
  const xName = kind === 'roc' ? 'false positive rate' : 'recall';
  const yName = kind === 'roc' ? 'true positive rate' : 'precision';
  const areaName = kind === 'roc' ? 'AUC' : 'AP';
  const option = useMemo<ChartOption>(
    () => ({
      animation: false,
      color: palette,
      legend: legendStyle(colors),
      grid: { left: 30, right: 20, top: 36, bottom: 26, containLabel: true },
      tooltip: {
        ...tooltipStyle(colors),
        trigger: 'item',
        formatter: (params: { seriesName: string; value: [number, number] }) =>
          `${params.seriesName}<br/>${xName} ${formatMetric(params.value[0])}<br/>${yName} ${formatMetric(params.value[1])}`,
      },
      xAxis: { type: 'value', min: 0, max: 1, name: xName, nameLocation: 'middle', nameGap: 24, ...axisStyle(colors) },
      yAxis: { type: 'value', min: 0, max: 1, name: yName, nameLocation: 'middle', nameGap: 34, ...axisStyle(colors) },
      series: [
        ...series.map((entry) => ({
          type: 'line',
          name: entry.area === null ? entry.label : `${entry.label} (${areaName} ${formatMetric(entry.area)})`,
          showSymbol: false,
          step: kind === 'pr' ? 'end' : undefined,
          lineStyle: { width: 2 },
          data: entry.curve.x.map((x, index) => [x, entry.curve.y[index] ?? 0]),
        })),
        ...(kind === 'roc'
          ? [
              {
                type: 'line',
                name: 'chance',
                silent: true,
                showSymbol: false,
                color: colors.muted,
                lineStyle: { width: 1, type: 'dashed', color: colors.muted },
                data: [
                  [0, 0],
                  [1, 1],
                ],
              },
            ]
          : []),
      ],
    }),
    [series, kind, colors, palette, xName, yName, areaName],
  );
  return (
    <EChart
      option={option}
      height={300}
      label={`${kind === 'roc' ? 'ROC' : 'Precision-recall'} curves of ${series.map((entry) => entry.label).join(', ')}`}
    />
  );
}

/** Residual (actual − predicted) against the prediction, for a sample of validation rows. */
export function ResidualChart({ label, predicted, residual }: { label: string; predicted: number[]; residual: number[] }) {
  const { colors, palette } = useSeriesPalette();
  const option = useMemo<ChartOption>(
    () => ({
      animation: false,
      grid: { left: 30, right: 20, top: 16, bottom: 26, containLabel: true },
      tooltip: {
        ...tooltipStyle(colors),
        trigger: 'item',
        formatter: (params: { value: [number, number] }) =>
          `predicted ${formatMetric(params.value[0])}<br/>residual ${formatMetric(params.value[1])}`,
      },
      xAxis: { type: 'value', name: 'predicted', nameLocation: 'middle', nameGap: 24, scale: true, ...axisStyle(colors) },
      yAxis: { type: 'value', name: 'actual − predicted', nameLocation: 'middle', nameGap: 44, ...axisStyle(colors) },
      series: [
        {
          type: 'scatter',
          name: label,
          symbolSize: 4,
          itemStyle: { color: palette[0], opacity: 0.55 },
          data: predicted.map((value, index) => [value, residual[index] ?? 0]),
          markLine: {
            silent: true,
            symbol: 'none',
            lineStyle: { color: colors.muted, type: 'dashed' },
            data: [{ yAxis: 0 }],
            label: { show: false },
          },
        },
      ],
    }),
    [label, predicted, residual, colors, palette],
  );
  return <EChart option={option} height={300} label={`Residuals of ${label} against its predictions`} />;
}
