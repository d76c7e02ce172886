import type { z } from 'zod';

/** A request/reply method on `rpc.<service>.<method>`, validated both ways. */
export interface RpcDefinition<
  S extends string = string,
  Req extends z.ZodType = z.ZodType,
  Res extends z.ZodType = z.ZodType,
> {
  subject: S;
  request: Req;
  response: Res;
}

export const rpcErrorCodes = [
  'bad_request',
  'not_found',
  'forbidden',
  'conflict',
  'limit_reached',
  'internal',
  'timeout',
  'unavailable',
] as const;
export type RpcErrorCode = (typeof rpcErrorCodes)[number];

/** What travels back on the wire: the typed answer, or a typed error. */
export type RpcReply<T> =
  | { ok: true; data: T }
  | { ok: false; error: { code: RpcErrorCode; message: string } };

export function defineRpc<S extends string, Req extends z.ZodType, Res extends z.ZodType>(
  subject: S,
  request: Req,
  response: Res,
): RpcDefinition<S, Req, Res> {
  if (!/^rpc\.[a-z][a-z0-9-]*\.[a-z][a-z0-9_.]*$/.test(subject)) {
    throw new Error(`rpc subject "${subject}" is not rpc.<service>.<method>`);
  }
  return { subject, request, response };
}
