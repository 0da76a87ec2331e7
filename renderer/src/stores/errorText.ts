import { KilnError } from '../../../shared/errors.js';

/**
 * An error as the user reads it. The engine names the field of a refused input both in `field` and as a
 * `field: ` prefix of the message (for the CLI); on screen the message stands where the field is, so the prefix goes.
 */
export function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error instanceof KilnError && error.field && error.message.startsWith(`${error.field}: `)) {
    const rest = error.message.slice(error.field.length + 2);
    return `${rest.charAt(0).toUpperCase()}${rest.slice(1)}`;
  }
  return error.message;
}
