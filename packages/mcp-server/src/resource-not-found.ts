import { ProtocolErrorCode, type JSONRPCMessage, type Transport } from '@modelcontextprotocol/server';

const MODERN_ERA_FROM = '2026-07-28';

/**
 * Answers a `resources/read` of an unknown URI with -32002 (resource not found) on 2025-era
 * connections, as the 2025-11-25 specification defines it. The SDK encodes every resource miss
 * as -32602, which the 2026-07-28 revision requires, so modern connections keep -32602; both carry
 * `data.uri`, which is how SDK clients of either era recognise a missing resource.
 *
 * Wraps the connection's transport: it learns the era from the opening message and the ids of
 * pending reads from what comes in, and rewrites only the matching error replies going out.
 */
export function withEraResourceNotFound(transport: Transport): Transport {
  let legacy: boolean | undefined;
  const reads = new Set<string | number>();
  let onmessage: Transport['onmessage'];
  const wrapped: Transport = {
    start: () => transport.start(),
    close: () => transport.close(),
    send(message: JSONRPCMessage, options) {
      const reply = message as { id?: string | number; error?: { code: number; data?: { uri?: unknown } } };
      if (
        reply.id !== undefined &&
        reads.delete(reply.id) &&
        legacy === true &&
        reply.error?.code === ProtocolErrorCode.InvalidParams &&
        typeof reply.error.data?.uri === 'string'
      ) {
        return transport.send(
          { ...message, error: { ...reply.error, code: ProtocolErrorCode.ResourceNotFound } } as JSONRPCMessage,
          options,
        );
      }
      return transport.send(message, options);
    },
    get onmessage() {
      return onmessage;
    },
    set onmessage(handler) {
      onmessage = handler;
      transport.onmessage =
        handler &&
        ((message, extra) => {
          const request = message as { id?: string | number; method?: string; params?: { protocolVersion?: unknown } };
          if (request.method === 'initialize')
            legacy =
              typeof request.params?.protocolVersion !== 'string' || request.params.protocolVersion < MODERN_ERA_FROM;
          else if (request.method !== undefined && legacy === undefined && request.id !== undefined) legacy = false;
          if (request.method === 'resources/read' && request.id !== undefined) reads.add(request.id);
          handler(message, extra);
        });
    },
    get onclose() {
      return transport.onclose;
    },
    set onclose(handler) {
      transport.onclose = handler;
    },
    get onerror() {
      return transport.onerror;
    },
    set onerror(handler) {
      transport.onerror = handler;
    },
    get sessionId() {
      return transport.sessionId;
    },
    get hasPerRequestStream() {
      return transport.hasPerRequestStream;
    },
  };
  if (transport.setProtocolVersion) wrapped.setProtocolVersion = (version) => transport.setProtocolVersion!(version);
  return wrapped;
}
