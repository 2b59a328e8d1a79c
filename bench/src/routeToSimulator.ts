/**
 * The public module hard-codes https://bitbucket.org/site/oauth2/* and
 * https://api.bitbucket.org/2.0/user (node-oauth calls `https.request` with a
 * fresh options object each time). This sends those requests to the
 * simulator over plain HTTP, as a DNS override would; our module is
 * configured with the simulator's URLs and never passes here. It edits
 * node-oauth's options in place, so the detour costs the public module no
 * more than a hostname check.
 */
import http from 'node:http';
import https from 'node:https';

const cloudHosts = new Set(['bitbucket.org', 'api.bitbucket.org']);

export function routeBitbucketCloudToSimulator(simulatorUrl: string) {
  const { hostname, port } = new URL(simulatorUrl);
  const original = https.request as (...args: unknown[]) => http.ClientRequest;
  (https as { request: unknown }).request = (...args: any[]) => {
    const [options] = args;
    const host = options?.hostname ?? options?.host;
    if (options instanceof URL || !cloudHosts.has(String(host))) {
      return original.apply(https, args);
    }
    // node-oauth's own options: {host, port: 443, path, method, headers[, agent]}
    Object.assign(options, { protocol: 'http:', host: hostname, hostname });
    Object.assign(options, { port: Number(port), agent: undefined });
    return http.request(...(args as Parameters<typeof http.request>));
  };
}
