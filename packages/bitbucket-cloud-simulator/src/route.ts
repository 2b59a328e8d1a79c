import { ServerResponse } from 'node:http';
import { SimulatorContext } from './context';
import { SimulatorUser } from './types';

/** One REST endpoint: the scope it needs and how it answers */
export type Route = {
  scope: string;
  respond: (
    ctx: SimulatorContext,
    res: ServerResponse,
    user: SimulatorUser,
    query: URLSearchParams,
    selfUrl: string,
    /** What a parameterised route's pattern captured */
    params: string[],
  ) => void;
};
