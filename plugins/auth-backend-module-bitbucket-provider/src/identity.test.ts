import { toBitbucketIdentity } from './identity';

const user = {
  uuid: '{5c1f0000-0000-4000-8000-000000000001}',
  account_id: '557058:0001',
  username: 'alice-bb',
  nickname: 'alice',
  display_name: 'Alice Anderson',
  links: { avatar: { href: 'https://avatar.example/alice.png' } },
};

describe('toBitbucketIdentity', () => {
  it('uses the primary address when it is confirmed', () => {
    const identity = toBitbucketIdentity(user, [
      { email: 'other@example.com', is_primary: false, is_confirmed: true },
      { email: 'alice@example.com', is_primary: true, is_confirmed: true },
    ]);
    expect(identity.email).toBe('alice@example.com');
    expect(identity.confirmedEmails).toEqual([
      'alice@example.com',
      'other@example.com',
    ]);
  });

  it('falls back to the first confirmed address when the primary is unconfirmed', () => {
    const identity = toBitbucketIdentity(user, [
      { email: 'victim@example.com', is_primary: true, is_confirmed: false },
      { email: 'first@example.com', is_primary: false, is_confirmed: true },
      { email: 'second@example.com', is_primary: false, is_confirmed: true },
    ]);
    expect(identity.email).toBe('first@example.com');
    expect(identity.confirmedEmails).not.toContain('victim@example.com');
  });

  it('has no email at all when no address is confirmed', () => {
    const identity = toBitbucketIdentity(user, [
      { email: 'victim@example.com', is_primary: true, is_confirmed: false },
    ]);
    expect(identity.email).toBeUndefined();
    expect(identity.confirmedEmails).toEqual([]);
  });

  it('treats a missing is_confirmed as unconfirmed', () => {
    const identity = toBitbucketIdentity(user, [
      { email: 'maybe@example.com', is_primary: true },
    ]);
    expect(identity.email).toBeUndefined();
  });

  it('keeps the Bitbucket identity fields and picks the display name', () => {
    const identity = toBitbucketIdentity(user, []);
    expect(identity).toMatchObject({
      uuid: '{5c1f0000-0000-4000-8000-000000000001}',
      accountId: '557058:0001',
      username: 'alice-bb',
      nickname: 'alice',
      displayName: 'Alice Anderson',
      avatarUrl: 'https://avatar.example/alice.png',
    });
    expect(
      toBitbucketIdentity({ ...user, display_name: '' }, []).displayName,
    ).toBe('alice');
    expect(
      toBitbucketIdentity(
        { ...user, display_name: undefined, nickname: undefined },
        [],
      ).displayName,
    ).toBe('alice-bb');
  });

  it('never takes the nickname, which anyone may pick, for the username', () => {
    const identity = toBitbucketIdentity(
      { ...user, username: undefined, nickname: 'carol-bb' },
      [],
    );
    expect(identity.username).toBeUndefined();
    expect(identity.nickname).toBe('carol-bb');
    expect(identity.uuid).toBe('{5c1f0000-0000-4000-8000-000000000001}');
  });
});
