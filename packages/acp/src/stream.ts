import type { AcpTap } from './tap.js';

/** The message stream pair an ACP SDK connection runs on (`ndJsonStream(...)` of @agentclientprotocol/sdk). */
export interface MessageStream<M> {
  writable: WritableStream<M>;
  readable: ReadableStream<M>;
}

/**
 * Wraps a client's ACP message stream so the tap sees every message in both directions; the
 * messages themselves pass on unchanged. Use it where the app builds its connection:
 * `client(...).connectWith(tapStream(ndJsonStream(stdin, stdout), tap), ...)`.
 */
export function tapStream<M>(
  stream: MessageStream<M>,
  tap: Pick<AcpTap, 'fromClient' | 'fromAgent'>,
): MessageStream<M> {
  const toAgent = new TransformStream<M, M>({
    transform(message, controller) {
      tap.fromClient(message);
      controller.enqueue(message);
    },
  });
  // A failed write surfaces to the connection through the wrapped writable's own errors.
  void toAgent.readable.pipeTo(stream.writable).catch(() => undefined);
  const readable = stream.readable.pipeThrough(
    new TransformStream<M, M>({
      transform(message, controller) {
        tap.fromAgent(message);
        controller.enqueue(message);
      },
    }),
  );
  return { writable: toAgent.writable, readable };
}
