import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import knex, { Knex } from 'knex';

/**
 * In-memory databases for `startTestBackend`, one per plugin as in a real
 * backend (plugins sharing one would race on the same migration lock), all
 * closed by `destroy()`. The test backend never closes the pools of its
 * default databases, whose reaper timers then keep the Jest worker alive.
 */
export function createTestDatabase() {
  const clients: Knex[] = [];
  const factory = createServiceFactory({
    service: coreServices.database,
    deps: {},
    async factory() {
      const client = knex({
        client: 'better-sqlite3',
        connection: ':memory:',
        useNullAsDefault: true,
      });
      clients.push(client);
      return { getClient: async () => client };
    },
  });
  return {
    factory,
    destroy: async () => {
      await Promise.all(clients.splice(0).map(client => client.destroy()));
    },
  };
}
