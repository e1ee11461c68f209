import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
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

/**
 * One stream's reader. A class, not an object literal with getters over closure state: V8 allocates
 * each literal's getter pair (an AccessorPair) straight in the old generation, where it points at
 * that reader's young getter closures. Young-generation collections take pointers from old objects
 * as live, so every finished reader's closures and everything they held (the parser, the stream's
 * text) were copied and then promoted until the next full collection: about 0.5 MB per collection
 * at 100 probes in flight, and longer pauses than the bare node:http loop's
 * (scripts/bench/prober.ts; BENCHMARKS.md, prober, "What young-generation collections kept"). A
 * class's getters live once, on its prototype.
 */
class SseReader implements BodyReader {
  firstTokenAt: number | null = null;
  failure: Failure | null = null;
  private done = false;
  private events = 0;
  private raw = '';
  private outputTokens: number | null = null;
  private finishReason: string | undefined;
  private responseId: string | null = null;
  private chunkAt = 0;
  private readonly parser: EventSourceParser;

  constructor(
    private readonly interpret: (event: EventSourceMessage) => EventVerdict,
    private readonly options: SseOptions,
  ) {
    this.parser = createParser({ onEvent: (event) => this.onEvent(event) });
  }

  private onEvent(event: EventSourceMessage): void {
    if (this.failure || this.done) return;
    this.events += 1;
    const verdict = this.interpret(event);
    if (verdict.failure) this.failure = verdict.failure;
    if (verdict.content && this.firstTokenAt === null) this.firstTokenAt = this.chunkAt;
    if (verdict.outputTokens !== undefined) this.outputTokens = verdict.outputTokens;
    if (verdict.finishReason) this.finishReason = verdict.finishReason;
    if (verdict.responseId && this.responseId === null) this.responseId = verdict.responseId;
    if (verdict.done) this.done = true;
  }

  feed(text: string, at: number): void {
    this.chunkAt = at;
    if (this.raw.length < RAW_KEPT) this.raw += text.slice(0, RAW_KEPT - this.raw.length);
    this.parser.feed(text);
  }

  finish(): ReadOutcome {
    this.parser.reset({ consume: true });
    const { finishReason, options } = this;
    if (this.failure) return this.outcome(this.failure);
    if (this.events === 0) return this.outcome(this.noEvents());
    if (!this.done) return this.outcome({ errorClass: 'network', message: `stream cut: it ended before ${options.endEvent}` });
    if (this.firstTokenAt === null && !options.allowNoContent?.(finishReason)) {
      return this.outcome({ errorClass: 'bad_response', message: `no content in the stream${finishReason ? ` (finish_reason ${finishReason})` : ''}` });
    }
    return this.outcome(null);
  }

  private outcome(failure: Failure | null): ReadOutcome {
    return { failure, outputTokens: this.outputTokens, responseId: this.responseId };
  }

  private noEvents(): Failure {
    const body = this.raw.trim();
    if (body === '') return { errorClass: 'bad_response', message: 'empty response: no events in a 200 answer' };
    try {
      // Some gateways answer 200 with a plain JSON error instead of a stream.
      const json = JSON.parse(body) as unknown;
      if (json !== null && typeof json === 'object' && 'error' in json) return classifyStreamError(json);
    } catch {
      // not JSON either: fall through
    }
    return { errorClass: 'bad_response', message: shorten(`malformed stream: not server-sent events (${body.slice(0, 60)})`) };
  }
}

export function createSseReader(interpret: (event: EventSourceMessage) => EventVerdict, options: SseOptions): BodyReader {
  return new SseReader(interpret, options);
}
