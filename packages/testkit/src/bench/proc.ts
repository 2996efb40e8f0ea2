import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** What a relay's TCP sockets connect to, by port. */
export interface SocketPeers {
  /** the relay's listening port: accepted sockets are clients */
  relayPort: number;
  upstreamPort?: number;
  mysqlPort?: number;
  redisPort?: number;
}

/** A process's open file descriptors, its TCP sockets sorted by peer. */
export interface OpenHandles {
  /** every entry of /proc/<pid>/fd */
  fds: number;
  /** of which sockets (TCP, UDP, Unix) */
  sockets: number;
  listening: number;
  /** accepted connections of clients (the load generator, a metrics scrape) */
  clients: number;
  /** pooled keep-alive connections to the upstream */
  upstream: number;
  mysql: number;
  redis: number;
  /** sockets that are none of the above (Unix sockets, other TCP peers) */
  otherSockets: number;
}

/** Resident memory of a process, KiB. */
export interface Memory {
  rss: number;
  /** peak RSS so far */
  hwm: number;
}

/** VmRSS / VmHWM from /proc/<pid>/status; undefined once the process is gone (or off Linux). */
export function readMemory(pid: number): Memory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
    return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
  } catch {
    return undefined;
  }
}

/** CPU time a process has used so far (user + system), seconds; undefined once it is gone. */
export function readCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the parenthesised name: state is field 3, utime 14, stime 15 (clock ticks, 100/s)
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return undefined;
  }
}

interface TcpEntry {
  localPort: number;
  remotePort: number;
  listening: boolean;
}

/** inode → TCP socket, from the process's view of /proc/net/tcp and tcp6 (its network namespace). */
function tcpTable(pid: number): Map<string, TcpEntry> {
  const out = new Map<string, TcpEntry>();
  for (const file of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const port = (addr: string) => Number.parseInt(addr.slice(addr.lastIndexOf(':') + 1), 16);
      out.set(f[9]!, { localPort: port(f[1]!), remotePort: port(f[2]!), listening: f[3] === '0A' });
    }
  }
  return out;
}

/**
 * Counts the open file descriptors of `pid` (Linux /proc) and sorts its TCP sockets by peer.
 * Undefined once the process is gone.
 */
export function readOpenHandles(pid: number, peers: SocketPeers): OpenHandles | undefined {
  let names: string[];
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  const h: OpenHandles = {
    fds: names.length,
    sockets: 0,
    listening: 0,
    clients: 0,
    upstream: 0,
    mysql: 0,
    redis: 0,
    otherSockets: 0,
  };
  const inodes: string[] = [];
  for (const name of names) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${name}`);
    } catch {
      continue; // closed between the listing and the read
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m) inodes.push(m[1]!);
  }
  h.sockets = inodes.length;
  if (inodes.length === 0) return h;
  const tcp = tcpTable(pid);
  for (const inode of inodes) {
    const e = tcp.get(inode);
    if (!e) h.otherSockets++;
    else if (e.listening) h.listening++;
    else if (e.localPort === peers.relayPort) h.clients++;
    else if (e.remotePort === peers.upstreamPort) h.upstream++;
    else if (e.remotePort === peers.mysqlPort) h.mysql++;
    else if (e.remotePort === peers.redisPort) h.redis++;
    else h.otherSockets++;
  }
  return h;
}
