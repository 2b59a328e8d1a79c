import { SimulatorUser } from './types';

/**
 * The address that stands for the account: the primary one if confirmed,
 * else the first confirmed one. It is the email of an API token's HTTP Basic
 * credentials, and the one the auth module's email resolvers pick.
 */
export function accountEmail(user: SimulatorUser) {
  const confirmed = user.emails.filter(e => e.isConfirmed);
  return confirmed.find(e => e.isPrimary) ?? confirmed[0];
}
