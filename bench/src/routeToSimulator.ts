/**
 * The public module hard-codes https://bitbucket.org/site/oauth2/* and
 * https://api.bitbucket.org/2.0/user (passport-bitbucket-oauth2 through
 * node-oauth, which calls `https.request` with a fresh options object each
 * time). This sends those requests to the simulator over plain HTTP, as a
 * DNS override would. Our module is configured with the simulator's URLs and
 * never passes here.
 *
 * It edits node-oauth's options in place and adds no work beyond a hostname
 * check, so that the detour does not count against the public module.
 */
import http from 'node:http';
import https from 'node:https';

const cloudHosts = new Set(['bitbucket.org', 'api.bitbucket.org']);

export function routeBitbucketCloudToSimulator(simulatorUrl: string) {
  const { hostname, port } = new URL(simulatorUrl);
  const original = https.request;
  (https as { request: unknown }).request = function request(
    options: http.RequestOptions,
    ...rest: unknown[]
  ) {
    if (
      typeof options === 'object' &&
      options !== null &&
      !(options instanceof URL) &&
      cloudHosts.has(String(options.hostname ?? options.host))
    ) {
      // node-oauth's own options: {host, port: 443, path, method, headers[, agent]}
      options.protocol = 'http:';
      options.host = hostname;
      options.hostname = hostname;
      options.port = Number(port);
      options.agent = undefined; // Node's global agent, as for any http call
      return http.request(options, ...(rest as []));
    }
    return (original as (...a: unknown[]) => http.ClientRequest).call(
      https,
      options,
      ...rest,
    );
  };
}
