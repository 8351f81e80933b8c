import type { AnthropicUsage } from '../rate-card/usage.js';

/** The stream events that carry usage, read structurally. */
interface UsageEvent {
  type: string;
  message?: { model?: string; usage?: object };
  usage?: object;
}

/**
 * Follows the usage of a streamed message: `message_start.message.usage` has the input and cache
 * counts, each `message_delta.usage` carries cumulative values (input fields may be null there),
 * so the latest non-null value of each field wins. Never adds deltas up.
 */
export function createStreamUsage() {
  let usage: Record<string, unknown> | undefined;
  let model: string | undefined;
  let stopped = false;

  const overlay = (fields: object): void => {
    usage ??= {};
    for (const [name, value] of Object.entries(fields)) if (value !== null && value !== undefined) usage[name] = value;
  };

  return {
    observe(event: UsageEvent): void {
      if (event.type === 'message_start') {
        if (event.message?.model !== undefined) model = event.message.model;
        overlay(event.message?.usage ?? {});
      } else if (event.type === 'message_delta' && event.usage) {
        overlay(event.usage);
      } else if (event.type === 'message_stop') {
        stopped = true;
      }
    },
    /** Usage so far, or undefined before `message_start`. */
    get usage(): AnthropicUsage | undefined {
      return usage as AnthropicUsage | undefined;
    },
    get model(): string | undefined {
      return model;
    },
    /** Whether `message_stop` arrived: the message is complete. */
    get complete(): boolean {
      return stopped;
    },
  };
}
