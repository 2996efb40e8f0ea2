/** POST /v1/images/generations, /v1/audio/speech, /v1/audio/transcriptions, /v1/audio/translations. */
import { completionText, estimateTokens, nowSeconds } from './content.ts';
import { recordSimple } from './generation.ts';
import { type Ctx, sendBytes, sendJson } from './respond.ts';

/** A valid 1×1 PNG, base64. */
export const TINY_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
/** The same PNG as bytes (served at GET /fake-assets/image.png for `response_format: "url"`). */
export const TINY_PNG = Buffer.from(TINY_PNG_BASE64, 'base64');

/** Output tokens reported per generated image by gpt-image models (OpenAI's figure for a low 1024² image). */
export const IMAGE_OUTPUT_TOKENS = 272;

/** An ID3 tag and four silent-looking MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz): plausible mp3 bytes. */
export const FAKE_MP3: Buffer = (() => {
  const frameLength = 417;
  const buf = Buffer.alloc(10 + 4 * frameLength);
  buf.write('ID3', 0, 'latin1');
  buf[3] = 4; // ID3v2.4, no flags, size 0
  for (let f = 0; f < 4; f++) {
    const at = 10 + f * frameLength;
    buf[at] = 0xff;
    buf[at + 1] = 0xfb;
    buf[at + 2] = 0x90;
    buf[at + 3] = 0x64;
  }
  return buf;
})();

const AUDIO_TYPES: Record<string, string> = {
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  wav: 'audio/wav',
  pcm: 'audio/pcm',
};

/** POST /v1/images/generations: `n` images as b64_json (default) or url; gpt-image models report usage. */
export function handleImages(ctx: Ctx): void {
  const { body, b } = ctx;
  const n = typeof body.n === 'number' && body.n >= 1 ? Math.floor(body.n) : 1;
  const gptImage = ctx.model.startsWith('gpt-image');
  const asUrl = body.response_format === 'url' && !gptImage;
  const item = asUrl
    ? { url: `${ctx.state.baseUrl}/fake-assets/image.png`, revised_prompt: body.prompt }
    : { b64_json: TINY_PNG_BASE64 };
  const data = Array.from({ length: n }, () => item);
  const promptTokens =
    b.promptTokens ?? estimateTokens(typeof body.prompt === 'string' ? body.prompt.length : 0);
  const outputTokens = gptImage ? IMAGE_OUTPUT_TOKENS * n : 0;
  const out: Record<string, unknown> = { created: nowSeconds(), data };
  const reportUsage = gptImage && !b.omitUsage;
  if (reportUsage) {
    out.usage = {
      input_tokens: promptTokens,
      input_tokens_details: { text_tokens: promptTokens, image_tokens: 0 },
      output_tokens: outputTokens,
      total_tokens: promptTokens + outputTokens,
    };
  }
  const ok = sendJson(ctx, 200, JSON.stringify(out));
  recordSimple(ctx, promptTokens, outputTokens, ok, reportUsage);
}

/** POST /v1/audio/speech: fixed fake audio bytes with the content type of `response_format` (mp3 default). */
export function handleSpeech(ctx: Ctx): void {
  const { body, b } = ctx;
  const format = typeof body.response_format === 'string' ? body.response_format : 'mp3';
  const ok = sendBytes(ctx, AUDIO_TYPES[format] ?? 'audio/mpeg', FAKE_MP3);
  const input = typeof body.input === 'string' ? body.input : '';
  recordSimple(ctx, b.promptTokens ?? estimateTokens(input.length), 0, ok, false);
}

/**
 * POST /v1/audio/transcriptions (and translations), multipart: `{ text }` (json), plain text for
 * text/srt/vtt, plus language/duration for verbose_json. whisper models report duration usage,
 * others token usage (input = promptTokens or ceil(file bytes / 1000), output = the text's words).
 */
export function handleTranscription(ctx: Ctx): void {
  const { body, b } = ctx;
  const words = b.chunks * b.tokensPerChunk;
  const text = completionText(words).trimStart();
  const file = body.file as { size?: number } | undefined;
  const fileBytes = typeof file?.size === 'number' ? file.size : ctx.raw.length;
  const format = typeof body.response_format === 'string' ? body.response_format : 'json';
  const whisper = ctx.model.startsWith('whisper');
  const inputTokens = b.promptTokens ?? Math.max(1, Math.ceil(fileBytes / 1000));
  const reportUsage = !b.omitUsage && !whisper;
  if (format === 'text' || format === 'srt' || format === 'vtt') {
    const ok = sendBytes(ctx, 'text/plain; charset=utf-8', `${text}\n`);
    recordSimple(ctx, inputTokens, words, ok, false);
    return;
  }
  const out: Record<string, unknown> = { text };
  const seconds = Math.max(1, Math.ceil(fileBytes / 16_000));
  if (format === 'verbose_json') {
    out.task = ctx.path.endsWith('translations') ? 'translate' : 'transcribe';
    out.language = 'english';
    out.duration = seconds;
    out.segments = [];
  }
  if (!b.omitUsage) {
    out.usage = whisper
      ? { type: 'duration', seconds }
      : {
          type: 'tokens',
          input_tokens: inputTokens,
          input_token_details: { text_tokens: 0, audio_tokens: inputTokens },
          output_tokens: words,
          total_tokens: inputTokens + words,
        };
  }
  const ok = sendJson(ctx, 200, JSON.stringify(out));
  recordSimple(ctx, inputTokens, words, ok, reportUsage);
}
