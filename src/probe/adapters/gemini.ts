import { jsonHeaders, joinUrl, probePrompt, type ProbeAdapter } from '../adapter.ts';
import { classifyStreamError } from '../classify.ts';
import { createSseReader, parseJsonEvent, type EventVerdict } from '../sse-reader.ts';
import { allowReasoningSilence } from './reasoning.ts';

/** Gemini native streamGenerateContent over SSE: no `[DONE]`; the chunk with a finishReason ends it. */
interface GeminiChunk {
  error?: unknown;
  responseId?: string;
  candidates?: Array<{ content?: { parts?: Array<{ text?: unknown; thought?: boolean }> }; finishReason?: string }>;
  usageMetadata?: { candidatesTokenCount?: number };
}

function interpret(chunk: GeminiChunk): EventVerdict {
  if (chunk.error !== undefined) return { failure: classifyStreamError(chunk) };
  const candidate = chunk.candidates?.[0];
  const parts = candidate?.content?.parts ?? [];
  const verdict: EventVerdict = { content: parts.some((part) => part.thought !== true && typeof part.text === 'string' && part.text !== '') };
  if (chunk.responseId) verdict.responseId = chunk.responseId;
  if (typeof chunk.usageMetadata?.candidatesTokenCount === 'number') verdict.outputTokens = chunk.usageMetadata.candidatesTokenCount;
  if (candidate?.finishReason) {
    verdict.finishReason = candidate.finishReason;
    verdict.done = true;
  }
  return verdict;
}

export const geminiAdapter: ProbeAdapter = {
  measuresTokens: true,
  buildRequest(target, nonce) {
    const auth: Record<string, string> = target.provider.api_key === undefined ? {} : { 'x-goog-api-key': target.provider.api_key };
    const url = new URL(joinUrl(target.provider.base_url, `models/${encodeURIComponent(target.providerModelId)}:streamGenerateContent`));
    url.searchParams.set('alt', 'sse');
    const body = {
      contents: [{ role: 'user', parts: [{ text: probePrompt(target, nonce) }] }],
      generationConfig: { maxOutputTokens: target.maxOutputTokens, ...(target.model.reasoning ? {} : { temperature: 0 }) },
    };
    return { method: 'POST', url: url.toString(), headers: jsonHeaders(target, auth), body: JSON.stringify(body) };
  },
  isExpectedStatus: (status) => status >= 200 && status < 300,
  createReader(target) {
    return createSseReader(
      (event) => {
        const parsed = parseJsonEvent(event);
        return 'failure' in parsed ? { failure: parsed.failure } : interpret((parsed.json ?? {}) as GeminiChunk);
      },
      { endEvent: 'a chunk with finishReason', allowNoContent: allowReasoningSilence(target) },
    );
  },
};
