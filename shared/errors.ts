/**
 * Errors that cross the UI↔engine boundary. Every transport serialises a
 * KilnError to this plain shape and rebuilds it on the other side, so the UI
 * can show `message` and highlight `field` without knowing which transport ran.
 */
export type KilnErrorCode = 'invalid_argument' | 'not_found' | 'bad_input' | 'cancelled' | 'unauthorized' | 'internal';

export interface KilnErrorShape {
  code: KilnErrorCode;
  message: string;
  /** Dotted path of the argument that failed validation, e.g. `name` or `options.delimiter`. */
  field?: string;
}

export class KilnError extends Error {
  readonly code: KilnErrorCode;
  readonly field: string | undefined;

  constructor(code: KilnErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'KilnError';
    this.code = code;
    this.field = field;
  }

  toJSON(): KilnErrorShape {
    return this.field === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, field: this.field };
  }

  static fromShape(shape: KilnErrorShape): KilnError {
    return new KilnError(shape.code, shape.message, shape.field);
  }

  static is(value: unknown): value is KilnError {
    return value instanceof KilnError;
  }
}

const codes: readonly KilnErrorCode[] = ['invalid_argument', 'not_found', 'bad_input', 'cancelled', 'unauthorized', 'internal'];

export function isKilnErrorShape(value: unknown): value is KilnErrorShape {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.message === 'string' && typeof candidate.code === 'string' && (codes as readonly string[]).includes(candidate.code)
  );
}

/** Turns anything thrown into the wire shape; unknown errors keep their message but not their stack. */
export function toErrorShape(error: unknown): KilnErrorShape {
  if (error instanceof KilnError) return error.toJSON();
  if (isKilnErrorShape(error)) return error;
  if (error instanceof Error) return { code: 'internal', message: error.message };
  return { code: 'internal', message: String(error) };
}
