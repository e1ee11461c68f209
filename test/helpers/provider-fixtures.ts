import { OPENAI_DONE, openaiChunk, openaiUsage, sseData } from '../../src/demo/openai-stream.ts';
import type { Piece, ScriptStep } from './fake-provider.ts';

/**
 * Realistic answers of each provider family (PROVIDERS.md), as fake-provider steps. Delays are
 * the fake's injected "true" times: `firstTokenDelayMs` before the first content token.
 */
export interface StreamShape {
  firstTokenDelayMs?: number;
  headers?: Record<string, string>;
  content?: string;
}

export function sseEvent(event: string, data: unknown): string {
  return `event: ${event}\n${sseData(data)}`;
}

export function openaiStream(shape: StreamShape = {}): ScriptStep {
  const id = 'chatcmpl-fake1';
  const model = 'fake-model';
  return {
    headers: { 'x-request-id': 'req_fake_openai', ...shape.headers },
    chunks: [
      ': keep-alive\n\n',
      openaiChunk(id, model, { role: 'assistant', content: '' }),
      { data: openaiChunk(id, model, { content: shape.content ?? 'ok' }), delayMs: shape.firstTokenDelayMs ?? 0 },
      openaiChunk(id, model, {}, 'length'),
      openaiUsage(id, model, 12, 1),
      OPENAI_DONE,
    ],
  };
}

export function anthropicStream(shape: StreamShape = {}): ScriptStep {
  return {
    headers: { 'request-id': 'req_fake_anthropic', ...shape.headers },
    chunks: [
      sseEvent('message_start', { type: 'message_start', message: { id: 'msg_fake1', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 12, output_tokens: 1 } } }),
      sseEvent('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
      sseEvent('ping', { type: 'ping' }),
      { data: sseEvent('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: shape.content ?? 'ok' } }), delayMs: shape.firstTokenDelayMs ?? 0 },
      sseEvent('content_block_stop', { type: 'content_block_stop', index: 0 }),
      sseEvent('message_delta', { type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 1 } }),
      sseEvent('message_stop', { type: 'message_stop' }),
    ],
  };
}

export function geminiStream(shape: StreamShape = {}): ScriptStep {
  const chunk = (text: string, finishReason?: string): string =>
    sseData({
      candidates: [{ content: { role: 'model', parts: [{ text }] }, ...(finishReason ? { finishReason } : {}), index: 0 }],
      usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 1, totalTokenCount: 13 },
      modelVersion: 'gemini-fake',
      responseId: 'gemini-resp-1',
    });
  return { headers: shape.headers ?? {}, chunks: [{ data: chunk(shape.content ?? 'ok', 'MAX_TOKENS'), delayMs: shape.firstTokenDelayMs ?? 0 }] };
}

/** A JSON error answer. */
export function jsonError(status: number, body: unknown, headers: Record<string, string> = {}): ScriptStep {
  return { status, headers: { 'content-type': 'application/json', ...headers }, chunks: [JSON.stringify(body)] };
}

export const openaiError = (status: number, type: string, code: string | null, message: string, headers?: Record<string, string>) =>
  jsonError(status, { error: { message, type, param: null, code } }, headers);

export const anthropicError = (status: number, type: string, message: string, headers?: Record<string, string>) =>
  jsonError(status, { type: 'error', error: { type, message } }, headers);

export const geminiError = (status: number, statusText: string, message: string, details: unknown[] = []) =>
  jsonError(status, { error: { code: status, message, status: statusText, details } });

/** Only the first `count` pieces of a stream, then the connection is destroyed. */
export function cutAfter(step: ScriptStep, count: number): ScriptStep {
  return { ...step, chunks: (step.chunks ?? []).slice(0, count), cut: true };
}

export function piece(data: string, delayMs = 0): Piece {
  return { data, delayMs };
}
