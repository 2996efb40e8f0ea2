import type { APIEvent } from '@solidjs/start/server';
import { codesCsvResponse } from '@tollgate/control-plane';
import { getDeps } from '~/server/deps.ts';

/** `GET /api/export/codes.csv?batch=…`: one batch of redemption codes with their plaintexts (admins). */
export async function GET(event: APIEvent): Promise<Response> {
  return codesCsvResponse(await getDeps(), event.request);
}
