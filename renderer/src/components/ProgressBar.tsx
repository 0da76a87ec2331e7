export function ProgressBar({ fraction, label }: { fraction: number | null; label: string }) {
  const percent = fraction === null ? undefined : Math.round(fraction * 100);
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
      <div className={percent === undefined ? 'progress-fill indeterminate' : 'progress-fill'} style={{ width: `${percent ?? 30}%` }} />
    </div>
  );
}
