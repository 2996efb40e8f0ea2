import type { APIEvent } from '@solidjs/start/server';
import { exportLogsResponse } from '@tollgate/control-plane';
import { getDeps } from '~/server/deps.ts';

/** `GET /api/export/my-logs.csv?…filters`: the signed-in user's own request logs as a streamed CSV. */
export async function GET(event: APIEvent): Promise<Response> {
  return exportLogsResponse(await getDeps(), event.request, 'mine');
}
