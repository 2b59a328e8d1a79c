import { mockServices } from '@backstage/backend-test-utils';
import knex from 'knex';

/**
 * An in-memory database for `startTestBackend`, closed by `destroy()`. The
 * test backend never closes the pool of its default database, whose reaper
 * timer then keeps the Jest worker alive after the suite.
 */
export function createTestDatabase() {
  const database = knex({
    client: 'better-sqlite3',
    connection: ':memory:',
    useNullAsDefault: true,
  });
  return {
    factory: mockServices.database.factory({ knex: database }),
    destroy: () => database.destroy(),
  };
}
