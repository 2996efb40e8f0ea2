/** A parsed multipart/form-data body: text fields, and the byte size of each file field. */
export interface MultipartForm {
  fields: Record<string, string>;
  files: Record<string, { filename: string; size: number; contentType: string | undefined }>;
}

/** The boundary of a `multipart/form-data; boundary=...` content type, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !contentType.toLowerCase().startsWith('multipart/form-data'))
    return undefined;
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

const CRLF2 = Buffer.from('\r\n\r\n');

/** Minimal multipart/form-data parser (enough for the OpenAI client's audio uploads). */
export function parseMultipart(raw: Buffer, boundary: string): MultipartForm {
  const form: MultipartForm = { fields: {}, files: {} };
  const delim = Buffer.from(`--${boundary}`);
  let pos = raw.indexOf(delim);
  while (pos !== -1) {
    const partStart = pos + delim.length;
    // "--" right after the delimiter closes the body.
    if (raw[partStart] === 0x2d && raw[partStart + 1] === 0x2d) break;
    const next = raw.indexOf(delim, partStart);
    if (next === -1) break;
    const headerEnd = raw.indexOf(CRLF2, partStart);
    if (headerEnd === -1 || headerEnd > next) break;
    const headers = raw.subarray(partStart, headerEnd).toString('utf8');
    // Content ends before the CRLF that precedes the next delimiter.
    const content = raw.subarray(headerEnd + 4, Math.max(headerEnd + 4, next - 2));
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    const filename = /filename="([^"]*)"/i.exec(headers)?.[1];
    const contentType = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1];
    if (name !== undefined) {
      if (filename !== undefined) form.files[name] = { filename, size: content.length, contentType };
      else form.fields[name] = content.toString('utf8');
    }
    pos = next;
  }
  return form;
}
