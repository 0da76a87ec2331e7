/**
 * The clients and README written into a bundle, generated from its schema:
 * a typed TypeScript client (an `InputRow` type with one field per input), a
 * Python client that needs only the standard library, and a curl script.
 * Each one scores a CSV file in batches.
 */
import type { ServingSchema } from '../../../shared/serving/schema.js';
import { CONTAINER_PORT } from './dockerfile.js';
import type { RawRow } from './onnx/rows.js';

export interface GeneratedFile {
  /** Relative to the bundle folder. */
  path: string;
  content: string;
  executable?: boolean;
}

const DEFAULT_URL = `http://127.0.0.1:${CONTAINER_PORT}`;

/** A property name as TypeScript source: bare when it is an identifier, quoted otherwise. */
function tsKey(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

function typescriptClient(schema: ServingSchema): string {
  const fields = schema.inputs
    .map(
      (input) =>
        `  /** ${input.role}; null when missing. */\n  ${tsKey(input.name)}: ${input.type === 'number' ? 'number' : 'string'} | null;`,
    )
    .join('\n');
  const classifier = schema.task !== 'regression';
  const classes = schema.classes ?? [];
  const predictionType = classifier
    ? `export type ClassName = ${classes.map((name) => JSON.stringify(name)).join(' | ')};

/** One row's answer: the label and the probability of each class. */
export interface Prediction {
  label: ClassName;
  probabilities: Record<ClassName, number>;
}`
    : `/** One row's answer: the predicted ${schema.target}. */
export type Prediction = number;`;
  return `/**
 * Typed client for the Kiln model "${schema.name}" (run ${schema.runId}), generated from schema.json.
 * It predicts ${JSON.stringify(schema.target)} (${schema.task}).
 *
 *   import { KilnClient } from './kiln-client.js';
 *   const client = new KilnClient('${DEFAULT_URL}');
 *   const predictions = await client.predict([row]);
 *   const all = await client.scoreCsv('rows.csv', 1000);
 *
 * scoreCsv needs papaparse (the bundle's node_modules has it). Run as a script
 * (Node 22.6+: node --experimental-strip-types kiln-client.ts rows.csv) it
 * prints one JSON prediction per line.
 */
import { readFile } from 'node:fs/promises';
import Papa from 'papaparse';

/** One input row; every column must be present (send null for a missing value). */
export interface InputRow {
${fields}
}

${predictionType}

export const inputColumns = ${JSON.stringify(schema.inputs.map((input) => input.name))} as const;

export class KilnClientError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'KilnClientError';
  }
}

export class KilnClient {
  constructor(readonly baseUrl: string = '${DEFAULT_URL}') {}

  /** Scores rows through POST /invocations (MLflow dataframe_records); answers come back in input order. */
  async predict(rows: InputRow[]): Promise<Prediction[]> {
    return this.invoke(rows);
  }

  /** Scores a CSV file with a header row, batchSize rows per request. Cells are sent as text; the server reads them as at import. */
  async scoreCsv(file: string, batchSize = 1000): Promise<Prediction[]> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be a whole number of at least 1.');
    const parsed = Papa.parse<Record<string, string>>(await readFile(file, 'utf8'), {
      header: true,
      skipEmptyLines: 'greedy',
      transformHeader: (name) => name.trim(),
    });
    if (parsed.errors.length > 0) throw new Error(\`\${file}: \${parsed.errors[0]!.message} (row \${parsed.errors[0]!.row})\`);
    const predictions: Prediction[] = [];
    for (let start = 0; start < parsed.data.length; start += batchSize) {
      predictions.push(...(await this.invoke(parsed.data.slice(start, start + batchSize))));
    }
    return predictions;
  }

  private async invoke(records: readonly object[]): Promise<Prediction[]> {
    const response = await fetch(\`\${this.baseUrl}/invocations\`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataframe_records: records }),
    });
    const text = await response.text();
    if (!response.ok) throw new KilnClientError(response.status, \`The model server answered \${response.status}: \${text}\`);
    return (JSON.parse(text) as { predictions: Prediction[] }).predictions;
  }
}

if (process.argv[1] && import.meta.url === new URL(\`file://\${process.argv[1]}\`).href) {
  const [file, batch] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: kiln-client.ts <rows.csv> [batch-size]   (KILN_URL=${DEFAULT_URL})\\n');
    process.exit(2);
  }
  const client = new KilnClient(process.env.KILN_URL ?? '${DEFAULT_URL}');
  for (const prediction of await client.scoreCsv(file, batch ? Number(batch) : 1000)) process.stdout.write(\`\${JSON.stringify(prediction)}\\n\`);
}
`;
}

function pythonClient(schema: ServingSchema): string {
  return `#!/usr/bin/env python3
"""Client for the Kiln model "${schema.name}" (run ${schema.runId}); standard library only.

Scores a CSV file in batches through POST /invocations (MLflow dataframe_split)
and writes a CSV with a prediction column (and probability_<class> columns for
classifiers), in input order:

    python3 kiln_client.py rows.csv --url ${DEFAULT_URL} --batch 1000 --out predictions.csv

Or from Python:

    from kiln_client import KilnClient
    KilnClient("${DEFAULT_URL}").predict([{...}])
"""
import argparse
import csv
import json
import sys
import urllib.error
import urllib.request

INPUT_COLUMNS = ${JSON.stringify(schema.inputs.map((input) => input.name))}
CLASSES = ${JSON.stringify(schema.classes ?? [])}
DEFAULT_URL = "${DEFAULT_URL}"


class KilnError(Exception):
    pass


class KilnClient:
    def __init__(self, url=DEFAULT_URL, timeout=60):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _post(self, payload):
        request = urllib.request.Request(
            self.url + "/invocations",
            data=json.dumps(payload).encode("utf-8"),
            headers={"content-type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))["predictions"]
        except urllib.error.HTTPError as error:
            raise KilnError("the model server answered %d: %s" % (error.code, error.read().decode("utf-8", "replace"))) from None

    def predict(self, records):
        """Scores a list of dicts (one key per input column, None for missing)."""
        return self._post({"dataframe_records": records})

    def predict_split(self, columns, rows):
        """Scores rows given as lists of cells under the given column names."""
        return self._post({"dataframe_split": {"columns": columns, "data": rows}})

    def score_csv(self, path, batch_size=1000):
        """Yields one prediction per data row of a CSV file with a header row, batch_size rows per request."""
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle, skipinitialspace=True)
            header = [name.strip() for name in next(reader)]
            batch = []
            for cells in reader:
                if not cells or all(cell.strip() == "" for cell in cells):
                    continue
                batch.append([cell.strip() for cell in cells])
                if len(batch) == batch_size:
                    yield from self.predict_split(header, batch)
                    batch = []
            if batch:
                yield from self.predict_split(header, batch)


def prediction_row(prediction):
    if isinstance(prediction, dict):
        return [prediction["label"]] + [repr(float(prediction["probabilities"][name])) for name in CLASSES]
    return [repr(float(prediction))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", help="a CSV file with a header row")
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--batch", type=int, default=1000, help="rows per request")
    parser.add_argument("--out", help="write the predictions here (default: standard output)")
    args = parser.parse_args()
    if args.batch < 1:
        parser.error("--batch must be at least 1")
    out = open(args.out, "w", newline="", encoding="utf-8") if args.out else sys.stdout
    try:
        writer = csv.writer(out, lineterminator="\\n")
        writer.writerow(["prediction"] + ["probability_" + name for name in CLASSES])
        for prediction in KilnClient(args.url).score_csv(args.csv, args.batch):
            writer.writerow(prediction_row(prediction))
    except (KilnError, urllib.error.URLError, OSError) as error:
        print("kiln_client: %s" % error, file=sys.stderr)
        return 1
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
`;
}

function scoreScript(schema: ServingSchema): string {
  return `#!/usr/bin/env bash
# Scores a CSV file against the Kiln model "${schema.name}" in batches, with curl:
# POST /predict with text/csv, CSV back (prediction, then probability_<class> for classifiers).
#
#   ./score.sh rows.csv [batch-size] > predictions.csv      (KILN_URL=${DEFAULT_URL})
#
# Batches are cut by lines, so cells must not hold line breaks (use the Python client for those).
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 <rows.csv> [batch-size]   (KILN_URL, default ${DEFAULT_URL})" >&2
  exit 2
fi
file=$1
batch=\${2:-1000}
url=\${KILN_URL:-${DEFAULT_URL}}
case $batch in '' | *[!0-9]* | 0) echo "$0: the batch size must be a whole number of at least 1" >&2; exit 2 ;; esac
[ -r "$file" ] || { echo "$0: cannot read $file" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
header=$(head -n 1 "$file")
tail -n +2 "$file" | grep -v '^[[:space:]]*$' | split -l "$batch" -a 6 - "$work/batch." || true

first=1
for part in "$work"/batch.*; do
  [ -e "$part" ] || break
  { printf '%s\\n' "$header"; cat "$part"; } > "$work/request.csv"
  status=$(curl -sS -o "$work/response.csv" -w '%{http_code}' -X POST "$url/predict" \\
    -H 'content-type: text/csv' -H 'accept: text/csv' --data-binary @"$work/request.csv")
  if [ "$status" != 200 ]; then
    echo "$0: the model server answered $status: $(cat "$work/response.csv")" >&2
    exit 1
  fi
  if [ $first = 1 ]; then
    sed -e '$a\\' "$work/response.csv"
    first=0
  else
    tail -n +2 "$work/response.csv" | sed -e '$a\\'
  fi
done
`;
}

function readme(schema: ServingSchema, examples: RawRow[]): string {
  const record = Object.fromEntries(schema.inputs.map((input) => [input.name, examples[0]?.[input.name] ?? null]));
  const second = Object.fromEntries(
    schema.inputs.map((input) => [input.name, examples[1]?.[input.name] ?? examples[0]?.[input.name] ?? null]),
  );
  const columns = schema.inputs.map((input) => input.name);
  const csvCell = (value: unknown) => {
    const text = value === null || value === undefined ? '' : String(value);
    return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const csvRows = [
    columns.map(csvCell).join(','),
    ...[record, second].map((row) => columns.map((name) => csvCell(row[name])).join(',')),
  ].join('\n');
  const v2Inputs = schema.inputs.map((input) => ({
    name: input.name,
    shape: [1],
    datatype: input.type === 'number' ? 'FP64' : 'BYTES',
    data: [record[input.name] ?? null],
  }));
  const quote = (value: unknown) => JSON.stringify(value).replace(/'/g, "'\\''");
  const answer =
    schema.task === 'regression'
      ? `a number per row`
      : `\`{"label": ..., "probabilities": {${(schema.classes ?? []).map((name) => JSON.stringify(name)).join(', ')}}}\` per row`;
  return `# Kiln model: ${schema.name}

Run \`${schema.runId}\`, dataset version \`${schema.datasetVersion}\`: predicts **${schema.target}** (${schema.task}${
    schema.classes ? `; classes ${schema.classes.map((name) => `\`${name}\``).join(', ')}` : ''
  }).
\`model.onnx\` is the whole pipeline (imputation, scaling, encoding and the model) and takes the raw
columns below; \`schema.json\` describes them. Kiln checked this graph against its own predictions
on every held-out row before writing it.

| Column | Type | Encoding |
|---|---|---|
${schema.inputs.map((input) => `| \`${input.name}\` | ${input.type} | ${input.role} |`).join('\n')}

Missing values: \`null\`, or one of ${schema.missingMarkers.map((marker) => `\`${marker}\``).join(', ')} (after trimming).

## Run it

\`\`\`sh
docker build -t ${schema.name}:latest .          # base: node:20-bookworm-slim (--build-arg BASE_IMAGE=... for another)
docker run --rm -p 127.0.0.1:${CONTAINER_PORT}:${CONTAINER_PORT} ${schema.name}:latest

# or without Docker (Node 20+, Linux x64: the bundled onnxruntime binaries)
PORT=${CONTAINER_PORT} node server.mjs
\`\`\`

## Call it

\`\`\`sh
URL=${DEFAULT_URL}

# MLflow scoring protocol: answers {"predictions": [...]} with ${answer}, in input order
curl -s $URL/invocations -H 'content-type: application/json' \\
  -d '{"dataframe_records": [${quote(record)}]}'

curl -s $URL/invocations -H 'content-type: application/json' \\
  -d '{"dataframe_split": {"columns": ${quote(columns)}, "data": [${quote(columns.map((name) => record[name]))}]}}'

# CSV in, CSV out
cat > rows.csv <<'CSV'
${csvRows}
CSV
curl -s $URL/predict -H 'content-type: text/csv' -H 'accept: text/csv' --data-binary @rows.csv

# Open Inference Protocol (KServe v2)
curl -s $URL/v2/models/${schema.name}
curl -s $URL/v2/models/${schema.name}/infer -H 'content-type: application/json' \\
  -d '{"inputs": ${quote(v2Inputs)}}'

# Health, metrics, drift against the training data, OpenAPI
curl -s $URL/v2/health/ready
curl -s $URL/metrics
curl -s $URL/drift
curl -s $URL/openapi.json
\`\`\`

## Clients (each scores a CSV file in batches)

- \`client/kiln_client.py\`: Python, standard library only: \`python3 client/kiln_client.py rows.csv --url $URL --out predictions.csv\`
- \`client/score.sh\`: curl: \`KILN_URL=$URL client/score.sh rows.csv 1000 > predictions.csv\`
- \`client/kiln-client.ts\`: TypeScript, with an \`InputRow\` type for this model: \`new KilnClient(URL).scoreCsv('rows.csv', 1000)\`

Without a server, Kiln scores a file in-process: \`kiln predict <this folder> rows.csv --out predictions.csv\`.

## Server settings

\`SERVER.md\` describes the server (\`server.mjs\`, one file), its endpoints and its settings:
\`PORT\`, \`HOST\`, \`MAX_BODY_BYTES\` (50 MB), \`LOG_DIR\`, \`DRIFT_WINDOW\` and more. In the image it listens on
0.0.0.0:${CONTAINER_PORT} as uid 10001, and writes its prediction log under \`/tmp\` unless \`LOG_DIR\` names a writable volume.
`;
}

export function clientFiles(schema: ServingSchema, examples: RawRow[]): GeneratedFile[] {
  return [
    { path: 'README.md', content: readme(schema, examples) },
    { path: 'client/kiln-client.ts', content: typescriptClient(schema) },
    { path: 'client/kiln_client.py', content: pythonClient(schema), executable: true },
    { path: 'client/score.sh', content: scoreScript(schema), executable: true },
  ];
}
