import { ServerResponse } from 'node:http';
import { Caller } from './caller';
import { SimulatorContext } from './context';

/** One REST endpoint: the scope it needs and how it answers */
export type Route = {
  /** The OAuth scope an access token needs */
  scope: string;
  /** The scope an Atlassian API token needs */
  apiTokenScope: 'read:user:bitbucket' | 'read:workspace:bitbucket';
  respond: (
    ctx: SimulatorContext,
    res: ServerResponse,
    caller: Caller,
    query: URLSearchParams,
    selfUrl: string,
    /** What a parameterised route's pattern captured */
    params: string[],
  ) => void;
};
