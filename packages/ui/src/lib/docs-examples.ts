/*
 * The copy-paste examples of the portal docs page (SPEC §8). Pure functions of the base URL, the key
 * and the model, so what the page shows is exactly what the copy buttons put on the clipboard.
 */

export interface ExampleInput {
  /** the relay base URL, ending in /v1 */
  baseUrl: string;
  /** the key in full (copy) or masked (display) */
  apiKey: string;
  model: string;
}

export type ExampleId = 'curl' | 'curl-stream' | 'python' | 'python-stream' | 'node' | 'node-stream';

export type ExampleLanguage = 'curl' | 'python' | 'node';

const PROMPT = 'Say hello in one short sentence.';

/** A string as a POSIX shell single-quoted word. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A string literal valid in Python and JavaScript alike (JSON escaping). */
const lit = (s: string) => JSON.stringify(s);

function curl(input: ExampleInput, stream: boolean): string {
  const body = [
    '{',
    `  "model": ${lit(input.model)},`,
    ...(stream ? ['  "stream": true,'] : []),
    `  "messages": [{"role": "user", "content": ${lit(PROMPT)}}]`,
    '}',
  ].join('\n');
  return [
    `curl${stream ? ' -N' : ''} ${shellQuote(`${input.baseUrl}/chat/completions`)} \\`,
    `  -H ${shellQuote(`Authorization: Bearer ${input.apiKey}`)} \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellQuote(body)}`,
  ].join('\n');
}

function python(input: ExampleInput, stream: boolean): string {
  const head = [
    'from openai import OpenAI',
    '',
    'client = OpenAI(',
    `    base_url=${lit(input.baseUrl)},`,
    `    api_key=${lit(input.apiKey)},`,
    ')',
    '',
  ];
  const call = [
    `    model=${lit(input.model)},`,
    `    messages=[{"role": "user", "content": ${lit(PROMPT)}}],`,
  ];
  if (!stream)
    return [
      ...head,
      'completion = client.chat.completions.create(',
      ...call,
      ')',
      'print(completion.choices[0].message.content)',
    ].join('\n');
  return [
    ...head,
    'stream = client.chat.completions.create(',
    ...call,
    '    stream=True,',
    ')',
    'for chunk in stream:',
    '    if chunk.choices and chunk.choices[0].delta.content:',
    '        print(chunk.choices[0].delta.content, end="", flush=True)',
    'print()',
  ].join('\n');
}

function node(input: ExampleInput, stream: boolean): string {
  const head = [
    "import OpenAI from 'openai';",
    '',
    'const client = new OpenAI({',
    `  baseURL: ${lit(input.baseUrl)},`,
    `  apiKey: ${lit(input.apiKey)},`,
    '});',
    '',
  ];
  const call = [`  model: ${lit(input.model)},`, `  messages: [{ role: 'user', content: ${lit(PROMPT)} }],`];
  if (!stream)
    return [
      ...head,
      'const completion = await client.chat.completions.create({',
      ...call,
      '});',
      'console.log(completion.choices[0].message.content);',
    ].join('\n');
  return [
    ...head,
    'const stream = await client.chat.completions.create({',
    ...call,
    '  stream: true,',
    '});',
    'for await (const chunk of stream) {',
    "  process.stdout.write(chunk.choices[0]?.delta?.content ?? '');",
    '}',
    "process.stdout.write('\\n');",
  ].join('\n');
}

/** The example `id` filled with `input`. */
export function exampleCode(id: ExampleId, input: ExampleInput): string {
  switch (id) {
    case 'curl':
      return curl(input, false);
    case 'curl-stream':
      return curl(input, true);
    case 'python':
      return python(input, false);
    case 'python-stream':
      return python(input, true);
    case 'node':
      return node(input, false);
    case 'node-stream':
      return node(input, true);
  }
}

/** The two examples (plain, streaming) of each language, and how to install its client. */
export const EXAMPLES: Record<ExampleLanguage, { install: string | null; ids: [ExampleId, ExampleId] }> = {
  curl: { install: null, ids: ['curl', 'curl-stream'] },
  python: { install: 'pip install openai', ids: ['python', 'python-stream'] },
  node: { install: 'npm install openai', ids: ['node', 'node-stream'] },
};

/** `Authorization: Bearer <key>`, the header every request carries. */
export function authHeader(apiKey: string): string {
  return `Authorization: Bearer ${apiKey}`;
}
