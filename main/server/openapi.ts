/** The OpenAPI 3.1 document, built from schema.json so it always describes the model actually loaded. */
import type { ServingInput, ServingSchema } from '../../shared/serving/schema.js';

type Json = Record<string, unknown>;

function columnSchema(input: ServingInput): Json {
  return input.type === 'number'
    ? {
        type: ['number', 'string', 'null'],
        description: `${input.role} column; null, "" or a missing marker means missing; numeric text is accepted`,
      }
    : { type: ['string', 'number', 'boolean', 'null'], description: `${input.role} column; null or a missing marker means missing` };
}

function error(description: string): Json {
  return {
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
}

export function buildOpenApi(schema: ServingSchema, version: string): Json {
  const classifier = schema.task !== 'regression';
  const row = {
    type: 'object',
    description: `One row of input. Columns the model does not know are ignored and named in "warnings".`,
    properties: Object.fromEntries(schema.inputs.map((input) => [input.name, columnSchema(input)])),
    required: schema.inputs.map((input) => input.name),
    additionalProperties: true,
  };
  const prediction = classifier
    ? {
        type: 'object',
        properties: {
          label: { type: 'string', enum: schema.classes },
          probabilities: {
            type: 'object',
            properties: Object.fromEntries(schema.classes.map((name) => [name, { type: 'number', minimum: 0, maximum: 1 }])),
            required: schema.classes,
          },
        },
        required: ['label', 'probabilities'],
      }
    : { type: 'number' };
  const predictions = {
    type: 'object',
    properties: {
      predictions: { type: 'array', items: { $ref: '#/components/schemas/Prediction' }, description: 'One per input row, in input order.' },
      warnings: { type: 'array', items: { type: 'string' } },
    },
    required: ['predictions'],
  };
  const csvColumns = classifier ? ['prediction', ...schema.classes.map((name) => `probability_${name}`)].join(', ') : 'prediction';
  const scored = {
    description: 'Predictions, in input order. A Kiln-Warnings header repeats any warnings.',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Predictions' } } },
  };
  const invocationBody = {
    oneOf: [
      {
        type: 'object',
        properties: {
          dataframe_split: {
            type: 'object',
            properties: { columns: { type: 'array', items: { type: 'string' } }, data: { type: 'array', items: { type: 'array' } } },
            required: ['columns', 'data'],
          },
        },
        required: ['dataframe_split'],
      },
      {
        type: 'object',
        properties: { dataframe_records: { type: 'array', items: { $ref: '#/components/schemas/Row' } } },
        required: ['dataframe_records'],
      },
      {
        type: 'object',
        properties: { instances: { type: 'array', items: { $ref: '#/components/schemas/Row' } } },
        required: ['instances'],
      },
      {
        type: 'object',
        properties: {
          inputs: {
            oneOf: [
              { type: 'object', additionalProperties: { type: 'array' }, description: 'Columnar: column name → values' },
              { type: 'array', items: { $ref: '#/components/schemas/Row' } },
            ],
          },
        },
        required: ['inputs'],
      },
    ],
  };
  const v2Tensor = {
    type: 'object',
    properties: {
      name: { type: 'string' },
      shape: { type: 'array', items: { type: 'integer' } },
      datatype: { type: 'string' },
      data: { type: 'array' },
    },
    required: ['name', 'shape', 'datatype', 'data'],
  };
  const modelPath = `/v2/models/${schema.name}`;
  return {
    openapi: '3.1.0',
    info: {
      title: `${schema.name} model server`,
      version,
      description: [
        `Kiln model server for "${schema.name}" (${schema.task}${schema.target ? `, target "${schema.target}"` : ''}).`,
        schema.runId ? `Run ${schema.runId}.` : '',
        schema.datasetVersion ? `Dataset version ${schema.datasetVersion}.` : '',
        classifier ? `Classes: ${schema.classes.join(', ')}; threshold ${schema.threshold}.` : '',
      ]
        .filter(Boolean)
        .join(' '),
    },
    paths: {
      '/invocations': {
        post: {
          summary: "Score rows in MLflow's scoring formats (or text/csv)",
          requestBody: {
            required: true,
            content: { 'application/json': { schema: invocationBody }, 'text/csv': { schema: { type: 'string' } } },
          },
          responses: {
            200: scored,
            400: error('The request does not match the schema; the message names the column'),
            413: error('Body too large'),
          },
        },
      },
      '/predict': {
        post: {
          summary: 'Score JSON records or a CSV batch',
          description: `Send Accept: text/csv for a CSV answer with columns ${csvColumns}.`,
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: { oneOf: [{ type: 'array', items: { $ref: '#/components/schemas/Row' } }, { $ref: '#/components/schemas/Row' }] },
              },
              'text/csv': {
                schema: { type: 'string', description: `A header row naming ${schema.inputs.map((input) => input.name).join(', ')}` },
              },
            },
          },
          responses: {
            200: {
              description: 'Predictions, in input order',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/Predictions' } },
                'text/csv': { schema: { type: 'string' } },
              },
            },
            400: error('The request does not match the schema; the message names the column'),
            413: error('Body too large'),
          },
        },
      },
      '/v2/health/live': { get: { summary: 'Liveness', responses: { 200: { description: 'The process is up' } } } },
      '/v2/health/ready': {
        get: { summary: 'Readiness', responses: { 200: { description: 'The model is loaded' }, 503: { description: 'Shutting down' } } },
      },
      [modelPath]: {
        get: {
          summary: 'Model metadata (Open Inference Protocol)',
          responses: { 200: { description: 'Inputs and outputs with datatypes' } },
        },
      },
      [`${modelPath}/ready`]: { get: { summary: 'Model readiness', responses: { 200: { description: 'Ready' } } } },
      [`${modelPath}/infer`]: {
        post: {
          summary: 'Score named input tensors (Open Inference Protocol)',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: { id: { type: 'string' }, inputs: { type: 'array', items: v2Tensor } },
                  required: ['inputs'],
                },
              },
            },
          },
          responses: {
            200: {
              description: 'Output tensors',
              content: { 'application/json': { schema: { type: 'object', properties: { outputs: { type: 'array', items: v2Tensor } } } } },
            },
            400: error('Bad tensors'),
          },
        },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text/plain; version=0.0.4' } } } },
      '/drift': {
        get: {
          summary: 'Population stability index per feature, recent inputs against training',
          responses: { 200: { description: 'Drift report' } },
        },
      },
      '/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } } },
    },
    components: {
      schemas: {
        Row: row,
        Prediction: prediction,
        Predictions: predictions,
        Error: {
          type: 'object',
          properties: { error: { type: 'string' }, column: { type: 'string' }, row: { type: 'integer' } },
          required: ['error'],
        },
      },
    },
  };
}
