/** An error that becomes an HTTP answer: the status and a message a client can act on. */
export class HttpError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   * @param {{ column?: string, row?: number }} [where] the column (and row) at fault, echoed in the JSON answer
   */
  constructor(status, message, where = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.column = where.column;
    this.row = where.row;
  }
}

export function badRequest(message, where) {
  return new HttpError(400, message, where);
}
