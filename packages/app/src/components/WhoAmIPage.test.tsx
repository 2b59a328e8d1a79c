import { identityApiRef } from '@backstage/core-plugin-api';
import { TestApiProvider, renderInTestApp } from '@backstage/test-utils';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { WhoAmIPage } from './WhoAmIPage';

function mockIdentityApi() {
  return {
    getProfileInfo: jest.fn(async () => ({
      displayName: 'Alice Anderson',
      email: 'alice@example.com',
      picture: 'http://localhost:7010/avatars/alice-bb.svg',
    })),
    getBackstageIdentity: jest.fn(async () => ({
      type: 'user' as const,
      userEntityRef: 'user:default/alice',
      ownershipEntityRefs: ['user:default/alice', 'group:default/platform'],
    })),
    getCredentials: jest.fn(async () => ({ token: 'token' })),
    signOut: jest.fn(async () => {}),
  };
}

describe('WhoAmIPage', () => {
  it('shows name, avatar, entity ref and ownership refs', async () => {
    const identityApi = mockIdentityApi();
    await renderInTestApp(
      <TestApiProvider apis={[[identityApiRef, identityApi]]}>
        <WhoAmIPage />
      </TestApiProvider>,
    );

    expect(await screen.findByTestId('display-name')).toHaveTextContent(
      'Alice Anderson',
    );
    expect(screen.getByText('Hello, Alice Anderson')).toBeInTheDocument();
    expect(screen.getByTestId('email')).toHaveTextContent('alice@example.com');
    expect(screen.getByRole('img', { name: 'Alice Anderson' })).toHaveAttribute(
      'src',
      'http://localhost:7010/avatars/alice-bb.svg',
    );
    expect(screen.getByTestId('user-entity-ref')).toHaveTextContent(
      'user:default/alice',
    );
    expect(
      screen.getAllByTestId('ownership-ref').map(chip => chip.textContent),
    ).toEqual(['user:default/alice', 'group:default/platform']);
  });

  it('signs out', async () => {
    const identityApi = mockIdentityApi();
    await renderInTestApp(
      <TestApiProvider apis={[[identityApiRef, identityApi]]}>
        <WhoAmIPage />
      </TestApiProvider>,
    );

    fireEvent.click(await screen.findByTestId('sign-out'));

    await waitFor(() => expect(identityApi.signOut).toHaveBeenCalledTimes(1));
    expect(screen.getByTestId('sign-out')).toBeDisabled();
  });

  it('falls back to the entity name without a display name', async () => {
    const identityApi = mockIdentityApi();
    identityApi.getProfileInfo.mockResolvedValue({} as any);
    await renderInTestApp(
      <TestApiProvider apis={[[identityApiRef, identityApi]]}>
        <WhoAmIPage />
      </TestApiProvider>,
    );
    expect(await screen.findByTestId('display-name')).toHaveTextContent(
      'alice',
    );
  });
});
