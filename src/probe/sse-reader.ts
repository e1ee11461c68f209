import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { BodyReader, ReadOutcome } from './adapter.ts';
import { classifyStreamError, shorten, type Failure } from './classify.ts';

/**
 * Reads a server-sent event stream for an adapter that only says what one event means.
 * Comments (`: keep-alive`, `: OPENROUTER PROCESSING`) never reach `interpret`, so they can
 * never count as a first token.
 */
export interface EventVerdict {
  /** The event carried visible content: the first one sets ttft. */
  content?: boolean;
  /** The family's end-of-stream event. */
  done?: boolean;
  outputTokens?: number;
  finishReason?: string;
  responseId?: string;
  failure?: Failure;
}

export interface SseOptions {
  /** The end event's name, for the "cut" message. */
  endEvent: string;
  /** A reasoning model may spend its cap on hidden reasoning: no visible content is then fine. */
  allowNoContent?: (finishReason: string | undefined) => boolean;
}

const RAW_KEPT = 2048;

export function parseJsonEvent(event: EventSourceMessage): { json: unknown } | { failure: Failure } {
  try {
    return { json: JSON.parse(event.data) as unknown };
  } catch {
    return { failure: { errorClass: 'bad_response', message: shorten(`malformed stream: event data is not JSON (${event.data.slice(0, 40)})`) } };
  }
}

export function createSseReader(interpret: (event: EventSourceMessage) => EventVerdict, options: SseOptions): BodyReader {
  let firstTokenAt: number | null = null;
  let failure: Failure | null = null;
  let done = false;
  let events = 0;
  let raw = '';
  let outputTokens: number | null = null;
  let finishReason: string | undefined;
  let responseId: string | null = null;
  let chunkAt = 0;

  const parser = createParser({
    onEvent(event) {
      if (failure || done) return;
      events += 1;
      const verdict = interpret(event);
      if (verdict.failure) failure = verdict.failure;
      if (verdict.content && firstTokenAt === null) firstTokenAt = chunkAt;
      if (verdict.outputTokens !== undefined) outputTokens = verdict.outputTokens;
      if (verdict.finishReason) finishReason = verdict.finishReason;
      if (verdict.responseId && responseId === null) responseId = verdict.responseId;
      if (verdict.done) done = true;
    },
  });

  const noEvents = (): Failure => {
    const body = raw.trim();
    if (body === '') return { errorClass: 'bad_response', message: 'empty response: no events in a 200 answer' };
    try {
      // Some gateways answer 200 with a plain JSON error instead of a stream.
      const json = JSON.parse(body) as unknown;
      if (json !== null && typeof json === 'object' && 'error' in json) return classifyStreamError(json);
    } catch {
      // not JSON either: fall through
    }
    return { errorClass: 'bad_response', message: shorten(`malformed stream: not server-sent events (${body.slice(0, 60)})`) };
  };

  return {
    get firstTokenAt() {
      return firstTokenAt;
    },
    get failure() {
      return failure;
    },
    feed(text, at) {
      chunkAt = at;
      if (raw.length < RAW_KEPT) raw += text.slice(0, RAW_KEPT - raw.length);
      parser.feed(text);
    },
    finish(): ReadOutcome {
      parser.reset({ consume: true });
      const result = (f: Failure | null): ReadOutcome => ({ failure: f, outputTokens, responseId });
      if (failure) return result(failure);
      if (events === 0) return result(noEvents());
      if (!done) return result({ errorClass: 'network', message: `stream cut: it ended before ${options.endEvent}` });
      if (firstTokenAt === null && !options.allowNoContent?.(finishReason)) {
        return result({ errorClass: 'bad_response', message: `no content in the stream${finishReason ? ` (finish_reason ${finishReason})` : ''}` });
      }
      return result(null);
    },
  };
}
