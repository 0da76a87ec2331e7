/** An error that becomes an HTTP answer: the status and a message a client can act on. */
export interface Where {
  column?: string | undefined;
  row?: number | undefined;
}

export class HttpError extends Error {
  readonly status: number;
  /** The column (and row) at fault, echoed in the JSON answer. */
  readonly column: string | undefined;
  readonly row: number | undefined;

  constructor(status: number, message: string, where: Where = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.column = where.column;
    this.row = where.row;
  }
}

export function badRequest(message: string, where?: Where): HttpError {
  return new HttpError(400, message, where);
}

/** The message of anything thrown, for a log line or an answer. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
