import { type RpcDefinition, type RpcErrorCode, type RpcReply, rpcErrorCodes } from '@conduit/contracts';
import { DomainError, type ErrorCode } from '@conduit/errors';
import { contextFromCarrier, injectTraceHeaders, SpanKind, withSpan } from '@conduit/telemetry';
import { headers, type Msg, type Subscription } from 'nats';
import { z } from 'zod';
import type { Bus } from './connection.js';

/** A typed failure of an RPC, raised by a handler or by the caller on a refused, timed-out or unanswered call. */
export class RpcError extends Error {
  constructor(
    readonly code: RpcErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

/**
 * The RPC code of each domain error code: exhaustive, so a new code does not compile until it has
 * one. The wire knows fewer codes than HTTP; each maps to what a caller can act upon.
 */
export const rpcErrorCodeOf: Record<ErrorCode, RpcErrorCode> = {
  bad_request: 'bad_request',
  validation_failed: 'bad_request',
  malformed_body: 'bad_request',
  method_not_allowed: 'bad_request',
  payload_too_large: 'bad_request',
  unsupported_media_type: 'bad_request',
  unprocessable: 'bad_request',
  unauthorized: 'forbidden',
  invalid_credentials: 'forbidden',
  forbidden: 'forbidden',
  not_found: 'not_found',
  gone: 'not_found',
  conflict: 'conflict',
  limit_reached: 'limit_reached',
  rate_limited: 'unavailable',
  unavailable: 'unavailable',
  internal: 'internal',
  bad_gateway: 'internal',
  gateway_timeout: 'timeout',
};

/** The typed failure a handler's error travels back as; undefined for an unexpected error. */
function rpcErrorOf(error: unknown): RpcError | undefined {
  if (error instanceof RpcError) return error;
  if (error instanceof DomainError) return new RpcError(rpcErrorCodeOf[error.code], error.detail);
  return undefined;
}

export interface RpcServer {
  stop(): Promise<void>;
}

const encode = (reply: RpcReply<unknown>) => JSON.stringify(reply);

const replySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), data: z.unknown() }),
  z.object({ ok: z.literal(false), error: z.object({ code: z.enum(rpcErrorCodes), message: z.string() }) }),
]);

const safeJson = (msg: Msg): unknown => {
  try {
    return msg.json();
  } catch {
    return undefined;
  }
};

/**
 * Answers `def.subject` in a queue group (one replica answers each call). The request is validated
 * before the handler sees it and the answer before it leaves; a thrown RpcError travels back with
 * its code, a DomainError with its code mapped by `rpcErrorCodeOf` and its detail, anything else
 * as `internal` with no detail (and is passed to `onError`). `stop()` resolves once the calls in
 * flight are answered.
 */
export function serveRpc<D extends RpcDefinition>(
  bus: Bus,
  def: D,
  queue: string,
  handler: (request: z.output<D['request']>) => Promise<z.input<D['response']>>,
  onError?: (error: unknown) => void,
): RpcServer {
  const sub: Subscription = bus.nc.subscribe(bus.subject(def.subject), { queue });
  const answer = async (msg: Msg) => {
    const carrier = Object.fromEntries(
      [...(msg.headers?.keys() ?? [])].map((key) => [key.toLowerCase(), msg.headers!.get(key)]),
    );
    await withSpan(
      `rpc ${def.subject}`,
      { kind: SpanKind.SERVER, parent: contextFromCarrier(carrier) },
      async () => {
        let reply: RpcReply<unknown>;
        try {
          let body: unknown;
          try {
            body = msg.json();
          } catch {
            throw new RpcError('bad_request', 'the request is not JSON');
          }
          const request = def.request.safeParse(body);
          if (!request.success)
            throw new RpcError(
              'bad_request',
              request.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
            );
          reply = {
            ok: true,
            data: def.response.parse(await handler(request.data as z.output<D['request']>)),
          };
        } catch (error) {
          const typed = rpcErrorOf(error);
          if (!typed || typed.code === 'internal') onError?.(error);
          reply = typed
            ? { ok: false, error: { code: typed.code, message: typed.message } }
            : { ok: false, error: { code: 'internal', message: 'internal error' } };
        }
        msg.respond(encode(reply));
      },
    );
  };
  // Calls being answered, so that stop() lets them finish before the connections close.
  const inFlight = new Set<Promise<void>>();
  const loop = (async () => {
    for await (const msg of sub) {
      const answering = answer(msg)
        .catch((error) => onError?.(error))
        .finally(() => inFlight.delete(answering));
      inFlight.add(answering);
    }
  })();
  return {
    async stop() {
      await sub.drain();
      await loop;
      await Promise.allSettled(inFlight);
    },
  };
}

/** Calls an RPC and returns its validated answer; throws RpcError on refusal, timeout or no responder. */
export async function requestRpc<D extends RpcDefinition>(
  bus: Bus,
  def: D,
  request: z.input<D['request']>,
  options: { timeoutMs?: number } = {},
): Promise<z.output<D['response']>> {
  const payload = def.request.parse(request);
  return withSpan(`rpc call ${def.subject}`, { kind: SpanKind.CLIENT }, async () => {
    const h = headers();
    for (const [key, value] of Object.entries(injectTraceHeaders())) h.set(key, value);
    let msg: Msg;
    try {
      msg = await bus.nc.request(bus.subject(def.subject), JSON.stringify(payload), {
        timeout: options.timeoutMs ?? 5000,
        headers: h,
      });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === '503') throw new RpcError('unavailable', `no service answers ${def.subject}`);
      if (code === 'TIMEOUT') throw new RpcError('timeout', `${def.subject} did not answer in time`);
      throw error;
    }
    // A reply that breaks the contract is the answering side's fault: a typed `internal`, so that
    // callers map every failure by its code (and never leak a parse error as a 500's detail).
    const reply = replySchema.safeParse(safeJson(msg));
    if (!reply.success) throw new RpcError('internal', `${def.subject} answered outside its contract`);
    if (!reply.data.ok) throw new RpcError(reply.data.error.code, reply.data.error.message);
    const data = def.response.safeParse(reply.data.data);
    if (!data.success) throw new RpcError('internal', `${def.subject} answered outside its contract`);
    return data.data as z.output<D['response']>;
  });
}
