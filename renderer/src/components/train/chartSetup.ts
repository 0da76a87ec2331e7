/**
 * The chart kinds the Train and Compare steps draw, added to the one echarts
 * registry the shared EChart wrapper uses, and a series palette read from CSS.
 */
import { BarChart, LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useMemo } from 'react';
import { useChartColors, type ChartColors } from '../charts/chartColors.js';

echarts.use([BarChart, LineChart, ScatterChart, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, CanvasRenderer]);

const seriesCount = 8;
const fallbackPalette = ['#c2410c', '#2563eb', '#15803d', '#7c3aed', '#b45309', '#0e7490', '#be185d', '#4d7c0f'];

/** One colour per run, from `--series-1`…`--series-8`, which each theme sets for its own background. */
export function useSeriesPalette(): { colors: ChartColors; palette: string[] } {
  const colors = useChartColors();
  const palette = useMemo(() => {
    const style = getComputedStyle(document.documentElement);
    return Array.from(
      { length: seriesCount },
      (_, index) => style.getPropertyValue(`--series-${index + 1}`).trim() || (fallbackPalette[index] ?? colors.accent),
    );
  }, [colors]);
  return { colors, palette };
}

export function axisStyle(colors: ChartColors) {
  return {
    axisLine: { lineStyle: { color: colors.border } },
    axisTick: { lineStyle: { color: colors.border } },
    axisLabel: { color: colors.muted },
    nameTextStyle: { color: colors.muted },
    splitLine: { lineStyle: { color: colors.border, opacity: 0.6 } },
  };
}

export function tooltipStyle(colors: ChartColors) {
  return {
    backgroundColor: colors.surface,
    borderColor: colors.border,
    textStyle: { color: colors.text },
    confine: true,
  };
}

export function legendStyle(colors: ChartColors) {
  return {
    type: 'scroll' as const,
    top: 0,
    textStyle: { color: colors.text },
    pageTextStyle: { color: colors.muted },
    pageIconColor: colors.text,
    pageIconInactiveColor: colors.border,
  };
}
