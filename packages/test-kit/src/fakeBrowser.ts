/**
 * Stands in for the browser around the OAuth popup flow of
 * `@backstage/core-app-api`: `fetch` (the session refresh, which fails as
 * there is no session yet) and `window.open` (the popup, which answers like
 * the backend's `handler/frame` page does).
 */

export const backendAuthUrl = 'http://backend.test/api/auth';

export const fakeAuthResponse = {
  profile: {
    email: 'alice@example.com',
    displayName: 'Alice Anderson',
    picture: 'http://backend.test/avatar.png',
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

export function fakeBrowser(
  firstAnswer: object = {
    type: 'authorization_response',
    response: fakeAuthResponse,
  },
) {
  let popupAnswer = firstAnswer;
  const fetchedUrls: string[] = [];
  const popupUrls: string[] = [];
  const fetchMock = jest
    .spyOn(global, 'fetch')
    .mockImplementation(async (input: RequestInfo | URL) => {
      fetchedUrls.push(String(input));
      return new Response(
        JSON.stringify({ error: { name: 'AuthenticationError' } }),
        { status: 401, statusText: 'Unauthorized' },
      );
    });
  const openMock = jest
    .spyOn(window, 'open')
    .mockImplementation((url?: string | URL) => {
      popupUrls.push(String(url));
      const popup = { closed: false } as unknown as Window;
      // the popup's page posts the sign-in result to its opener
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
    fetchedUrls,
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
