import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';

/** Tokens of a text with OpenAI's o200k_base encoding (pure JS). */
export function countText(text: string): number {
  return text.length === 0 ? 0 : countTokens(text);
}

type Json = Record<string, unknown>;

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    let s = '';
    for (const part of content) {
      if (typeof part === 'string') s += part;
      else if (part && typeof part === 'object') {
        const p = part as Json;
        if (typeof p.text === 'string') s += p.text;
        else if (typeof p.input_text === 'string') s += p.input_text;
      }
    }
    return s;
  }
  return '';
}

/** OpenAI's chat framing: about 3 tokens per message plus 3 to prime the reply. */
const PER_MESSAGE = 3;
const REPLY_PRIMING = 3;

/**
 * The prompt tokens of a request, counted with the tokenizer, for the hold taken before calling the
 * upstream. Images and audio count as nothing here (their per-call or upstream-reported usage bills).
 */
export function estimatePromptTokens(endpoint: string, body: Json): number {
  switch (endpoint) {
    case '/chat/completions': {
      const messages = Array.isArray(body.messages) ? (body.messages as Json[]) : [];
      let n = REPLY_PRIMING;
      for (const m of messages) {
        n += PER_MESSAGE + countText(textOf(m?.content));
        if (typeof m?.name === 'string') n += 1;
        if (Array.isArray(m?.tool_calls)) n += countText(JSON.stringify(m.tool_calls));
      }
      if (Array.isArray(body.tools)) n += countText(JSON.stringify(body.tools));
      return n;
    }
    case '/completions':
      return countText(Array.isArray(body.prompt) ? body.prompt.map(textOf).join('') : textOf(body.prompt));
    case '/responses': {
      const input = body.input;
      let s = typeof body.instructions === 'string' ? body.instructions : '';
      if (typeof input === 'string') s += input;
      else if (Array.isArray(input)) for (const item of input as Json[]) s += textOf(item?.content ?? item);
      return countText(s);
    }
    case '/embeddings':
    case '/moderations': {
      const input = body.input;
      if (typeof input === 'string') return countText(input);
      if (Array.isArray(input)) {
        let n = 0;
        for (const i of input)
          n +=
            typeof i === 'string'
              ? countText(i)
              : typeof i === 'number'
                ? 1
                : Array.isArray(i)
                  ? i.length
                  : 0;
        return n;
      }
      return 0;
    }
    default:
      return 0;
  }
}

/** The completion tokens the request allows (`max_tokens` and friends), or undefined. */
export function requestedMaxTokens(body: Json): number | undefined {
  for (const k of ['max_completion_tokens', 'max_tokens', 'max_output_tokens'] as const) {
    const v = body[k];
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  }
  return undefined;
}

/** The generated text of a non-streamed answer (chat, legacy completions, Responses output). */
export function completionTextOf(answer: unknown): string {
  const a = answer as {
    choices?: { message?: { content?: unknown }; text?: unknown }[];
    output_text?: unknown;
  };
  let s = typeof a?.output_text === 'string' ? a.output_text : '';
  for (const c of Array.isArray(a?.choices) ? a.choices : []) {
    if (typeof c?.text === 'string') s += c.text;
    s += textOf(c?.message?.content);
  }
  return s;
}
