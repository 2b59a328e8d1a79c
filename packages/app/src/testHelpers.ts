/**
 * Stands in for the browser around the OAuth popup: the session refresh
 * fails (no refresh cookie yet) and the popup answers like the backend's
 * `handler/frame` page.
 */
export const aliceAuthResponse = {
  profile: {
    email: 'alice@example.com',
    displayName: 'Alice Anderson',
    picture: 'http://localhost:7010/avatars/alice-bb.svg',
  },
  providerInfo: {
    accessToken: 'bitbucket-access-token',
    scope: 'account email',
    expiresInSeconds: 3600,
  },
  backstageIdentity: {
    token: 'backstage-token',
    expiresInSeconds: 3600,
    identity: {
      type: 'user',
      userEntityRef: 'user:default/alice',
      ownershipEntityRefs: ['user:default/alice', 'group:default/platform'],
    },
  },
};

export function fakeBrowser(firstAnswer: object) {
  let popupAnswer = firstAnswer;
  const popupUrls: string[] = [];
  const fetchMock = jest.spyOn(global, 'fetch').mockImplementation(
    async () =>
      new Response(JSON.stringify({ error: { name: 'AuthenticationError' } }), {
        status: 401,
        statusText: 'Unauthorized',
      }),
  );
  const openMock = jest
    .spyOn(window, 'open')
    .mockImplementation((url?: string | URL) => {
      popupUrls.push(String(url));
      const popup = { closed: false } as unknown as Window;
      setTimeout(() => {
        const event = new MessageEvent('message', {
          data: popupAnswer,
          origin: new URL(String(url)).origin,
        });
        Object.defineProperty(event, 'source', { value: popup });
        window.dispatchEvent(event);
      }, 0);
      return popup;
    });
  return {
    popupUrls,
    /** What later popups answer */
    answerWith(answer: object) {
      popupAnswer = answer;
    },
    restore() {
      fetchMock.mockRestore();
      openMock.mockRestore();
    },
  };
}
