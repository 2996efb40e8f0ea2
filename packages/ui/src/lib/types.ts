import type { AppRouter } from '@tollgate/control-plane';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';

export type RouterOutputs = inferRouterOutputs<AppRouter>;
export type RouterInputs = inferRouterInputs<AppRouter>;

export type TokenRow = RouterOutputs['tokens']['list'][number];
export type ChannelRow = RouterOutputs['channels']['list'][number];
export type UserList = RouterOutputs['users']['list'];
export type UserRow = UserList['rows'][number];
export type PriceRow = RouterOutputs['prices']['list'][number];
export type GroupRow = RouterOutputs['groups']['list'][number];
export type SettingsValues = RouterOutputs['settings']['get'];
export type AlertRuleRow = RouterOutputs['alerts']['rules'][number];
export type NotifierRow = RouterOutputs['alerts']['channels'][number];
export type AlertEventRow = RouterOutputs['alerts']['history'][number];
export type ChannelTestOutcome = RouterOutputs['health']['testChannel'];
