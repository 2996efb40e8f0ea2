import { adminProcedure, router } from '../../trpc/init.ts';
import { cloneChannel } from './channel-clone.ts';
import {
  channelIdSchema,
  channelStatusSchema,
  createChannelSchema,
  updateChannelSchema,
} from './channels.schemas.ts';
import {
  createChannel,
  deleteChannel,
  getChannel,
  listChannels,
  setChannelStatus,
  updateChannel,
} from './channels.service.ts';

export const channelsRouter = router({
  list: adminProcedure.query(({ ctx }) => listChannels(ctx.deps)),
  get: adminProcedure.input(channelIdSchema).query(({ ctx, input }) => getChannel(ctx.deps, input.id)),
  create: adminProcedure
    .input(createChannelSchema)
    .mutation(({ ctx, input }) => createChannel(ctx.deps, input)),
  update: adminProcedure
    .input(updateChannelSchema)
    .mutation(({ ctx, input }) => updateChannel(ctx.deps, input)),
  setStatus: adminProcedure
    .input(channelStatusSchema)
    .mutation(({ ctx, input }) => setChannelStatus(ctx.deps, input.id, input.status)),
  delete: adminProcedure
    .input(channelIdSchema)
    .mutation(({ ctx, input }) => deleteChannel(ctx.deps, input.id)),
  /** Copies a channel (keys copied sealed, server-side) as "<name> (copy)", disabled. */
  clone: adminProcedure.input(channelIdSchema).mutation(({ ctx, input }) => cloneChannel(ctx.deps, input.id)),
});
