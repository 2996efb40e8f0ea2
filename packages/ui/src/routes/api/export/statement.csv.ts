import type { APIEvent } from '@solidjs/start/server';
import { statementCsvResponse } from '@tollgate/control-plane';
import { getDeps } from '~/server/deps.ts';

/** `GET /api/export/statement.csv?month=YYYY-MM[&userId=]`: a monthly statement (own, or any for admins). */
export async function GET(event: APIEvent): Promise<Response> {
  return statementCsvResponse(await getDeps(), event.request);
}
