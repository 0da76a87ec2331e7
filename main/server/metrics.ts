/**
 * Prometheus text exposition (format 0.0.4), kept by hand: a counter map and
 * one histogram per route are all a scoring server needs, and a client library
 * would be most of the image.
 */
import process from 'node:process';
import type { ServingSchema } from '../../shared/serving/schema.js';

/** Seconds. Fine at the low end, where a healthy scoring request lands. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function escapeLabel(value: string | number): string {
  return String(value).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labels(pairs: Record<string, string | number>): string {
  const entries = Object.entries(pairs);
  if (entries.length === 0) return '';
  return `{${entries.map(([key, value]) => `${key}="${escapeLabel(value)}"`).join(',')}}`;
}

interface Histogram {
  /** Per bucket, not cumulative. */
  counts: number[];
  sum: number;
  count: number;
}

export class Metrics {
  private readonly startedAt = Date.now() / 1000;
  /** `route\u0000method\u0000status` → count */
  private readonly requests = new Map<string, number>();
  /** `route\u0000reason` → count */
  private readonly errors = new Map<string, number>();
  private readonly latency = new Map<string, Histogram>();
  private rowsScored = 0;
  inFlight = 0;

  constructor(private readonly schema: ServingSchema) {}

  /** @param route a route template, never the raw URL, so label values stay few */
  observe(route: string, method: string, status: number, seconds: number): void {
    const key = `${route}\u0000${method}\u0000${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    let histogram = this.latency.get(route);
    if (!histogram) {
      histogram = { counts: new Array<number>(LATENCY_BUCKETS.length).fill(0), sum: 0, count: 0 };
      this.latency.set(route, histogram);
    }
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[bucket]!) bucket += 1;
    if (bucket < LATENCY_BUCKETS.length) histogram.counts[bucket]! += 1;
    histogram.sum += seconds;
    histogram.count += 1;
  }

  error(route: string, reason: string): void {
    const key = `${route}\u0000${reason}`;
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }

  scored(rows: number): void {
    this.rowsScored += rows;
  }

  /** @param extra lines computed at scrape time (drift) */
  render(extra: readonly string[] = []): string {
    const lines: string[] = [];
    lines.push('# HELP kiln_model_info The model this server scores with.', '# TYPE kiln_model_info gauge');
    lines.push(
      `kiln_model_info${labels({ name: this.schema.name, run_id: this.schema.runId, dataset_version: this.schema.datasetVersion, task: this.schema.task })} 1`,
    );
    lines.push('# HELP kiln_requests_total HTTP requests answered, by route, method and status.', '# TYPE kiln_requests_total counter');
    for (const [key, count] of this.requests) {
      const [route = '', method = '', status = ''] = key.split('\u0000');
      lines.push(`kiln_requests_total${labels({ route, method, status })} ${count}`);
    }
    lines.push('# HELP kiln_request_errors_total Requests that failed, by route and reason.', '# TYPE kiln_request_errors_total counter');
    for (const [key, count] of this.errors) {
      const [route = '', reason = ''] = key.split('\u0000');
      lines.push(`kiln_request_errors_total${labels({ route, reason })} ${count}`);
    }
    lines.push(
      '# HELP kiln_request_duration_seconds Time from request to response, by route.',
      '# TYPE kiln_request_duration_seconds histogram',
    );
    for (const [route, histogram] of this.latency) {
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((bound, index) => {
        cumulative += histogram.counts[index]!;
        lines.push(`kiln_request_duration_seconds_bucket${labels({ route, le: bound })} ${cumulative}`);
      });
      lines.push(`kiln_request_duration_seconds_bucket${labels({ route, le: '+Inf' })} ${histogram.count}`);
      lines.push(`kiln_request_duration_seconds_sum${labels({ route })} ${histogram.sum}`);
      lines.push(`kiln_request_duration_seconds_count${labels({ route })} ${histogram.count}`);
    }
    lines.push('# HELP kiln_rows_scored_total Rows the model has scored.', '# TYPE kiln_rows_scored_total counter');
    lines.push(`kiln_rows_scored_total ${this.rowsScored}`);
    lines.push('# HELP kiln_requests_in_flight Requests being handled now.', '# TYPE kiln_requests_in_flight gauge');
    lines.push(`kiln_requests_in_flight ${this.inFlight}`);
    lines.push(
      '# HELP process_start_time_seconds Start time of the process since the Unix epoch.',
      '# TYPE process_start_time_seconds gauge',
    );
    lines.push(`process_start_time_seconds ${this.startedAt}`);
    const memory = process.memoryUsage();
    lines.push('# HELP process_resident_memory_bytes Resident memory size.', '# TYPE process_resident_memory_bytes gauge');
    lines.push(`process_resident_memory_bytes ${memory.rss}`);
    lines.push(...extra);
    return `${lines.join('\n')}\n`;
  }
}
