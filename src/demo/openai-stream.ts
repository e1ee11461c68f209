/**
 * The events of an OpenAI Chat Completions stream, as the demo provider and the test fakes send
 * them: a role chunk, content chunks, a finish chunk, the usage chunk, then `[DONE]`.
 */
export function sseData(data: unknown): string {
  return `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}

export function openaiChunk(id: string, model: string, delta: Record<string, unknown>, finishReason: string | null = null): string {
  return sseData({ id, object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta, finish_reason: finishReason }] });
}

export function openaiUsage(id: string, model: string, promptTokens: number, completionTokens: number): string {
  return sseData({
    id,
    object: 'chat.completion.chunk',
    created: 0,
    model,
    choices: [],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  });
}

export const OPENAI_DONE = sseData('[DONE]');
