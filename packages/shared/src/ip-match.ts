import { BlockList, isIP } from 'node:net';

/** Normalises `::ffff:1.2.3.4` to `1.2.3.4`. */
export function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/** Compiles IPs and CIDRs (`10.0.0.0/8`, `2001:db8::/32`, `1.2.3.4`) into a matcher. */
export function compileIpList(entries: readonly string[]): (ip: string) => boolean {
  const list = new BlockList();
  for (const e of entries) {
    const [addr, bits] = e.split('/');
    const family = addr ? isIP(addr) : 0;
    if (!family || !addr) continue;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(addr, type);
    else list.addSubnet(addr, Number(bits), type);
  }
  return (ip) => {
    const n = normaliseIp(ip);
    const family = isIP(n);
    return family !== 0 && list.check(n, family === 4 ? 'ipv4' : 'ipv6');
  };
}
