import type { ResolvedTarget } from '../../config/targets.ts';
import { hostnameOf, jsonHeaders, joinUrl, probePrompt, type ProbeAdapter } from '../adapter.ts';
import { classifyStreamError } from '../classify.ts';
import { createSseReader, parseJsonEvent, type EventVerdict } from '../sse-reader.ts';
import { allowReasoningSilence } from './reasoning.ts';

/**
 * OpenAI Chat Completions and everything that speaks it: Azure, Groq, Together, Mistral,
 * DeepSeek, OpenRouter, Gemini's OpenAI endpoint, Ollama, vLLM.
 */
const AZURE_HOST = /\.(openai\.azure\.com|cognitiveservices\.azure\.com)$/i;

function isAzure(target: ResolvedTarget): boolean {
  return AZURE_HOST.test(hostnameOf(target.provider.base_url));
}

interface Chunk {
  id?: string;
  error?: unknown;
  choices?: Array<{ delta?: { content?: unknown }; finish_reason?: string | null }>;
  usage?: { completion_tokens?: number } | null;
}

function interpret(data: string, json: unknown): EventVerdict {
  if (data.trim() === '[DONE]') return { done: true };
  const chunk = json as Chunk;
  // OpenRouter reports errors after streaming started as a data event with an `error` field.
  if (chunk.error !== undefined) return { failure: classifyStreamError(chunk) };
  const choice = chunk.choices?.[0];
  const content = choice?.delta?.content;
  const verdict: EventVerdict = { content: typeof content === 'string' && content !== '' };
  if (typeof chunk.id === 'string') verdict.responseId = chunk.id;
  if (choice?.finish_reason) verdict.finishReason = choice.finish_reason;
  if (typeof chunk.usage?.completion_tokens === 'number') verdict.outputTokens = chunk.usage.completion_tokens;
  return verdict;
}

export const openaiAdapter: ProbeAdapter = {
  measuresTokens: true,
  buildRequest(target, nonce) {
    const key = target.provider.api_key;
    // Azure wants its key in `api-key` and the deployment (not the model) in the URL.
    const auth: Record<string, string> = key === undefined ? {} : isAzure(target) ? { 'api-key': key } : { authorization: `Bearer ${key}` };
    const body: Record<string, unknown> = {
      model: target.providerModelId,
      messages: [{ role: 'user', content: probePrompt(target, nonce) }],
      stream: true,
      stream_options: { include_usage: true },
      [target.maxTokensParam]: target.maxOutputTokens,
    };
    // Reasoning models refuse any temperature but the default.
    if (!target.model.reasoning) body.temperature = 0;
    return { method: 'POST', url: joinUrl(target.provider.base_url, 'chat/completions'), headers: jsonHeaders(target, auth), body: JSON.stringify(body) };
  },
  isExpectedStatus: (status) => status >= 200 && status < 300,
  createReader(target) {
    return createSseReader(
      (event) => {
        if (event.data.trim() === '[DONE]') return { done: true };
        const parsed = parseJsonEvent(event);
        return 'failure' in parsed ? { failure: parsed.failure } : interpret(event.data, parsed.json);
      },
      { endEvent: 'data: [DONE]', allowNoContent: allowReasoningSilence(target) },
    );
  },
};
