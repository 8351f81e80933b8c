/**
 * One Messages request the server billed, with the usage it reported: what Anthropic charges for.
 * A streamed answer is billed at the usage its events had reported when the stream ended — all of
 * it after `message_stop`, what `message_start` (and any `message_delta`) carried when the client
 * aborted or the connection broke — and a stream cut before `message_start` reported nothing and
 * is not billed. Tests price this log with the rate card to check a ledger (`checkConservation`);
 * the Admin API's usage and cost reports are built from it too.
 */
export interface BilledRequest {
  /** When it was billed (the request's arrival), epoch ms. */
  at: number;
  /** The `request-id` header of the answer. */
  requestId: string;
  /** The message id (`msg_…`) the answer carried. */
  messageId: string;
  /** Label of the API key that paid (absent for an unlisted or missing key). */
  credential?: string;
  model: string;
  /** The `usage` reported to the client, as sent (cumulative over a stream's events). */
  usage: Record<string, unknown>;
  stream: boolean;
  /** True when the whole answer was sent (`message_stop`, or the JSON body). */
  complete: boolean;
}

/** The server's billing log: entries are added as answers go out and grow as a stream reports more. */
export function createBillingLog() {
  const entries: BilledRequest[] = [];
  return {
    entries,
    /** Bills a JSON answer: the whole usage at once. */
    answered(bill: Omit<BilledRequest, 'stream' | 'complete'>): void {
      entries.push({ ...bill, usage: { ...bill.usage }, stream: false, complete: true });
    },
    /** Follows one streamed answer: call `sent` with each event written to the client. */
    stream(bill: Omit<BilledRequest, 'stream' | 'complete' | 'usage' | 'messageId'>) {
      let entry: BilledRequest | undefined;
      return {
        sent(event: { event: string; data: unknown }): void {
          const data = event.data as { message?: { id?: string; usage?: object }; usage?: object };
          if (event.event === 'message_start' && !entry) {
            entry = {
              ...bill,
              messageId: data.message?.id ?? '',
              usage: { ...data.message?.usage },
              stream: true,
              complete: false,
            };
            entries.push(entry);
          } else if (event.event === 'message_delta' && entry && data.usage) {
            // message_delta carries cumulative counts; a null field (some API versions) leaves the earlier value.
            for (const [name, value] of Object.entries(data.usage))
              if (value !== null && value !== undefined) entry.usage[name] = value;
          } else if (event.event === 'message_stop' && entry) {
            entry.complete = true;
          }
        },
      };
    },
  };
}
