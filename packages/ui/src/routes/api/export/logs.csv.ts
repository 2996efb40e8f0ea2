import type { APIEvent } from '@solidjs/start/server';
import { exportLogsResponse } from '@tollgate/control-plane';
import { getDeps } from '~/server/deps.ts';

/**
 * `GET /api/export/logs.csv?…filters`: every user's request logs as a streamed CSV download (admins;
 * 401 without a session, 403 for a user). Filters as in `logs.search`.
 */
export async function GET(event: APIEvent): Promise<Response> {
  return exportLogsResponse(await getDeps(), event.request, 'admin');
}
