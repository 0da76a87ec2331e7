/**
 * The `kiln` command. People get plain text, scripts get `--json`, progress
 * goes to stderr, and a failure exits non-zero with a one-line reason.
 */
import { parseArgs } from 'node:util';
import { KilnError } from '../../shared/errors.js';
import { ModelFamily } from '../../shared/api/train.js';
import { packageInfo, resolveKilnHome } from '../paths.js';
import { commands } from './commands/index.js';
import type { CommandContext } from './common.js';

const usage = `kiln: from a CSV file to a served model

Usage:
  kiln <command> [options]

Commands:
  projects [--json]                 List projects
  projects create <name> [--json]   Create a project
  import <file> [--project P] [--json] [--delimiter X] [--no-header]
        [--missing '?,NA'] [--bad-rows skip|stop]
                                    Import a CSV file into a project (created if needed)
  jobs [--json]                     List recent jobs
  backends [--json]                 List compute backends for the neural models, and why others are missing
  profile <dataset-id|file> [--target COL] [--sample N] [--json]
                                    Profile a dataset (a file is imported first)
  run <recipe.json> [--project P] [--json]
                                    Import, clean and split as the recipe says
                                    (and train, when it has features and train)
  train <dataset-id|file> --target COL [--test FILE] [--model auto|${ModelFamily.options.join('|')}]
        [--budget SECONDS] [--seed N] [--backend B] [--json]
                                    Train a model (a file is imported first)
  runs [--project P] [--json]       List training runs with their metrics
  export-data <dataset-id> <file.csv|file.parquet> [--json]
                                    Write a dataset to a CSV or Parquet file
  export <run-id> --out DIR [--docker [--tag T] [--base-image I]] [--json]
                                    Write the run's bundle (ONNX with the whole pipeline,
                                    schema, server, Dockerfile, clients) after a parity
                                    check on held-out rows; --docker also builds the image
  predict <bundle|run-id> <file.csv> [--out preds.csv] [--json]
                                    Score a CSV in-process with the bundle's model.onnx
                                    (a run id is exported to a temporary bundle first)
  serve <bundle> [--port P]         Run a bundle's model server on 127.0.0.1 until Ctrl+C

Options:
  --json         Print JSON for scripts instead of text
  --version, -v  Print the version
  --help, -h     Print this help

The workspace is $KILN_HOME (default ~/.kiln). Exit codes: 0 ok, 1 failed, 2 bad usage.`;

export async function runCli(argv: string[], io: { out: (text: string) => void; err: (text: string) => void }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        version: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        project: { type: 'string' },
        delimiter: { type: 'string' },
        'no-header': { type: 'boolean' },
        missing: { type: 'string' },
        'bad-rows': { type: 'string' },
        target: { type: 'string' },
        sample: { type: 'string' },
        test: { type: 'string' },
        model: { type: 'string' },
        budget: { type: 'string' },
        seed: { type: 'string' },
        backend: { type: 'string' },
        out: { type: 'string' },
        docker: { type: 'boolean', default: false },
        tag: { type: 'string' },
        'base-image': { type: 'string' },
        port: { type: 'string' },
      },
    });
  } catch (error) {
    io.err(`kiln: ${error instanceof Error ? error.message : String(error)}. See kiln --help.`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.out(values.json ? JSON.stringify({ version: packageInfo().version }) : `kiln ${packageInfo().version}`);
    return 0;
  }
  const [name, ...rest] = positionals;
  if (values.help || name === undefined || name === 'help') {
    io.out(usage);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    io.err(`kiln: unknown command "${name}". See kiln --help.`);
    return 2;
  }
  const context: CommandContext = {
    args: rest,
    json: values.json,
    project: values.project,
    delimiter: values.delimiter,
    noHeader: values['no-header'],
    missing: values.missing,
    badRows: values['bad-rows'],
    target: values.target,
    sample: values.sample,
    test: values.test,
    model: values.model,
    budget: values.budget,
    seed: values.seed,
    backend: values.backend,
    outPath: values.out,
    docker: values.docker,
    tag: values.tag,
    baseImage: values['base-image'],
    port: values.port,
    home: resolveKilnHome(),
    out: io.out,
    err: io.err,
  };
  try {
    return await command(context);
  } catch (error) {
    io.err(`kiln: ${oneLine(error)}`);
    return error instanceof KilnError && error.code === 'invalid_argument' ? 2 : 1;
  }
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/NODE_MODULE_VERSION/.test(message)) {
    return 'a native module was built for Electron, not Node; run `npm rebuild better-sqlite3` to use the CLI again.';
  }
  return message.replace(/\s*\n\s*/g, ' ');
}
