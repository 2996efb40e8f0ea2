/** Channel (provider) kinds the relay implements; the control plane validates `channel.type` against it. */
export const channelTypes = ['openai-compatible'] as const;
export type ChannelType = (typeof channelTypes)[number];
