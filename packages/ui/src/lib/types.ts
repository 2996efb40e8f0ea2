import type { AppRouter } from '@tollgate/control-plane';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;

export type TokenRow = RouterOutputs['tokens']['list'][number];
export type ChannelRow = RouterOutputs['channels']['list'][number];
export type UserList = RouterOutputs['users']['list'];
export type UserRow = UserList['rows'][number];
