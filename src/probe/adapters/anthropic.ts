import { jsonHeaders, joinUrl, probePrompt, type ProbeAdapter } from '../adapter.ts';
import { classifyStreamError } from '../classify.ts';
import { createSseReader, parseJsonEvent, type EventVerdict } from '../sse-reader.ts';
import { allowReasoningSilence } from './reasoning.ts';

/** Anthropic Messages: `ping` is not a token, `message_stop` ends it, `error` can arrive inside a 200. */
export const ANTHROPIC_VERSION = '2023-06-01';

interface AnthropicEvent {
  type?: string;
  message?: { id?: string; usage?: { output_tokens?: number } };
  delta?: { type?: string; text?: unknown; stop_reason?: string | null };
  usage?: { output_tokens?: number };
  error?: unknown;
}

function interpret(type: string, event: AnthropicEvent): EventVerdict {
  switch (type) {
    case 'message_start':
      return event.message?.id ? { responseId: event.message.id } : {};
    case 'content_block_delta':
      // Thinking and signature deltas are hidden reasoning, not visible content.
      return { content: event.delta?.type === 'text_delta' && typeof event.delta.text === 'string' && event.delta.text !== '' };
    case 'message_delta': {
      const verdict: EventVerdict = {};
      if (typeof event.usage?.output_tokens === 'number') verdict.outputTokens = event.usage.output_tokens;
      if (event.delta?.stop_reason) verdict.finishReason = event.delta.stop_reason;
      return verdict;
    }
    case 'message_stop':
      return { done: true };
    case 'error':
      return { failure: classifyStreamError(event) };
    default:
      return {};
  }
}

export const anthropicAdapter: ProbeAdapter = {
  measuresTokens: true,
  buildRequest(target, nonce) {
    const auth: Record<string, string> = { 'anthropic-version': ANTHROPIC_VERSION };
    if (target.provider.api_key !== undefined) auth['x-api-key'] = target.provider.api_key;
    const body = {
      model: target.providerModelId,
      max_tokens: target.maxOutputTokens,
      messages: [{ role: 'user', content: probePrompt(target, nonce) }],
      stream: true,
      ...(target.model.reasoning ? {} : { temperature: 0 }),
    };
    return { method: 'POST', url: joinUrl(target.provider.base_url, 'messages'), headers: jsonHeaders(target, auth), body: JSON.stringify(body) };
  },
  isExpectedStatus: (status) => status >= 200 && status < 300,
  createReader(target) {
    return createSseReader(
      (event) => {
        if (event.event === 'ping') return {};
        const parsed = parseJsonEvent(event);
        if ('failure' in parsed) return { failure: parsed.failure };
        const data = (parsed.json ?? {}) as AnthropicEvent;
        return interpret(event.event ?? data.type ?? '', data);
      },
      { endEvent: 'message_stop', allowNoContent: allowReasoningSilence(target) },
    );
  },
};
