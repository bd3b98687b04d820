/**
 * Lakay's typed errors. Every error has a stable `code` (documented in docs/errors.md),
 * the CLI exit code it maps to, and the HTTP status the API will answer with.
 *
 * Exit codes: 0 ok, 1 the operation failed, 2 bad usage or bad input.
 */
export class LakayError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly exitCode: 1 | 2,
    readonly httpStatus: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Where in an input file a problem was found. Lines and columns are 1-based. */
export interface InputLocation {
  file?: string;
  line?: number;
  column?: string | number;
  field?: string;
}

/** The user gave us something we cannot use: a file, a flag, a config key, a value. */
export class BadInputError extends LakayError {
  constructor(
    message: string,
    readonly location: InputLocation = {},
    options?: { cause?: unknown },
  ) {
    super(withLocation(message, location), "BAD_INPUT", 2, 400, options);
  }
}

/** A named thing (model, version, run, alias, file) does not exist. */
export class NotFoundError extends LakayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "NOT_FOUND", 2, 404, options);
  }
}

/** A state change is not allowed from the current state (e.g. an illegal stage move). */
export class ConflictError extends LakayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "CONFLICT", 1, 409, options);
  }
}

/** A model or artifact failed a check: checksum mismatch, validation gate, unsupported format. */
export class ValidationFailedError extends LakayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "VALIDATION_FAILED", 1, 422, options);
  }
}

/** A promotion lacks a required approval, or an approval is not allowed (separation of duties). */
export class ApprovalMissingError extends LakayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "APPROVAL_MISSING", 1, 403, options);
  }
}

/** An external service (database, object store) could not be reached or failed. */
export class ServiceUnavailableError extends LakayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "SERVICE_UNAVAILABLE", 1, 503, options);
  }
}

function withLocation(message: string, loc: InputLocation): string {
  const where: string[] = [];
  if (loc.file) where.push(loc.file);
  if (loc.line !== undefined) where.push(`line ${loc.line}`);
  if (loc.column !== undefined) where.push(`column ${loc.column}`);
  if (loc.field !== undefined && loc.field !== loc.column) where.push(`field ${loc.field}`);
  return where.length ? `${where.join(", ")}: ${message}` : message;
}

/** Masks the password in a URI so it can be shown in errors and logs. */
export function maskUri(uri: string): string {
  return uri.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]+:)[^@]*@/i, "$1****@");
}
