/**
 * Errors the node service answers with: an HTTP status, a stable code a client can branch on, the field of the
 * request at fault when there is one, and a message that says what is wrong.
 */

/** A request the service refuses or cannot serve. */
export class ServiceError extends Error {
  /** More of the answer's body (e.g. where a refused query attempt was logged). */
  details?: Record<string, unknown>;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "ServiceError";
  }
}

/** 400: the request is malformed; `field` names what (e.g. "body.records[0].enterprise"). */
export class BadRequest extends ServiceError {
  constructor(field: string, message: string) {
    super(400, "bad-request", `${field}: ${message}`, field);
    this.name = "BadRequest";
  }
}

/** 401: no or a wrong operator token. */
export class Unauthorized extends ServiceError {
  constructor(message: string) {
    super(401, "unauthorized", message);
    this.name = "Unauthorized";
  }
}

/** 403: well-formed, but refused (unsigned, mis-signed, wrong institution, a rule of the contracts). */
export class Forbidden extends ServiceError {
  constructor(code: string, message: string, field?: string) {
    super(403, code, message, field);
    this.name = "Forbidden";
  }
}

/** 404: no such enterprise, record, query, submission or log entry here. */
export class NotFound extends ServiceError {
  constructor(code: string, message: string) {
    super(404, code, message);
    this.name = "NotFound";
  }
}

/** 409: the thing exists but is not in the state the request needs (a query not yet served …). */
export class Conflict extends ServiceError {
  constructor(code: string, message: string) {
    super(409, code, message);
    this.name = "Conflict";
  }
}

/** 502: the chain did not answer or did not take a transaction. */
export class ChainUnavailable extends ServiceError {
  constructor(message: string) {
    super(502, "chain-unavailable", message);
    this.name = "ChainUnavailable";
  }
}

/** The service cannot start as configured (token file, options): names what and the way out. */
export class ServiceConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ServiceConfigError";
  }
}
