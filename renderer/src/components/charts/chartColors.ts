import { useMemo, useSyncExternalStore } from 'react';

export interface ChartColors {
  text: string;
  muted: string;
  border: string;
  surface: string;
  surface2: string;
  accent: string;
  /** Text drawn on the accent (and on the other saturated chart colours). */
  accentText: string;
  focus: string;
  missing: string;
}

/** Charts draw on a canvas, so they read the theme's CSS variables instead of inheriting them. */
export function readChartColors(): ChartColors {
  const style = getComputedStyle(document.documentElement);
  const get = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    text: get('--text', '#1b1f24'),
    muted: get('--muted', '#5b6470'),
    border: get('--border', '#d9dde3'),
    surface: get('--surface', '#ffffff'),
    surface2: get('--surface-2', '#f0f2f5'),
    accent: get('--accent', '#c2410c'),
    accentText: get('--accent-text', '#ffffff'),
    focus: get('--focus', '#2563eb'),
    missing: get('--missing', '#9aa3ad'),
  };
}

/** The theme lives in `<html data-theme>`, set by App after it renders: watch the attribute itself. */
function subscribeToTheme(onChange: () => void): () => void {
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  return () => observer.disconnect();
}

const currentTheme = () => document.documentElement.dataset.theme ?? '';

/** The current theme's chart colours; a new object only when the theme changes. */
export function useChartColors(): ChartColors {
  const theme = useSyncExternalStore(subscribeToTheme, currentTheme);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- the colours are read from the DOM, and change exactly when the theme does.
  return useMemo(() => readChartColors(), [theme]);
}
