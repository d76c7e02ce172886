import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** A caller's request id is kept when it is short and plain, so one id follows a request through the gateway. */
export const validRequestId = (value: unknown): value is string =>
  typeof value === 'string' && /^[\w.:-]{1,100}$/.test(value);

export const generateRequestId = (req: IncomingMessage) => {
  const given = req.headers[REQUEST_ID_HEADER];
  return validRequestId(given) ? given : randomUUID();
};
