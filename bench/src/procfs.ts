/**
 * What the bench reads about processes and the machine from /proc: CPU
 * time, memory, busy cores, and who holds a listening port.
 */
import fs from 'node:fs';
import os from 'node:os';

/** /proc/<pid>/status: VmRSS and VmHWM (peak), in bytes */
export function readRss(pid: number): { rss: number; peakRss: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : NaN;
  };
  return { rss: kb('VmRSS'), peakRss: kb('VmHWM') };
}

/** CPU time (user + system, all threads) the process has used, in ms */
export function readCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name is in parentheses and may contain spaces: split after it
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // ticks of 10 ms (USER_HZ)
}

/**
 * From now until the returned function is called: the cores the machine was
 * busy, and how many of them were processes other than `pids`.
 */
export function watchMachineLoad(pids: number[]) {
  const read = () => {
    const [line] = fs.readFileSync('/proc/stat', 'utf8').split('\n');
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    const own = pids.reduce((sum, pid) => sum + readCpuMs(pid), 0);
    // less idle and iowait; `own` in the same ticks
    return { total, busy: total - ticks[3] - ticks[4], own: own / 10 };
  };
  const start = read();
  return () => {
    const end = read();
    const cores = (n: number) =>
      (n * os.cpus().length) / (end.total - start.total);
    const busyCores = cores(end.busy - start.busy);
    const foreignCores = busyCores - cores(end.own - start.own);
    return { busyCores, foreignCores: Math.max(0, foreignCores) };
  };
}

/**
 * Fails unless process `pid` itself holds the listening socket on
 * 127.0.0.1:`port`: then every request sent to that port was served by the
 * process whose CPU and memory the bench reads.
 */
export function assertListensOn(pid: number, port: number, name: string) {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const listening = fs
    .readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map(line => line.trim().split(/\s+/))
    // local address 127.0.0.1 is 0100007F; state 0A is LISTEN; field 9 the socket inode
    .filter(f => f[1] === `0100007F:${hexPort}` && f[3] === '0A')
    .map(f => `socket:[${f[9]}]`);
  const own = fs.readdirSync(`/proc/${pid}/fd`).map(fd => {
    try {
      return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      return ''; // closed meanwhile
    }
  });
  if (!listening.some(socket => own.includes(socket))) {
    throw new Error(
      `the ${name} backend (pid ${pid}) does not hold the listening socket on 127.0.0.1:${port}; another process serves that port, so nothing measured there would be the ${name} backend's`,
    );
  }
}
