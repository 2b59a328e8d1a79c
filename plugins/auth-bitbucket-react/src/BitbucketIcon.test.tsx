import { render } from '@testing-library/react';
import { BitbucketIcon } from './BitbucketIcon';
import { bitbucketAuthProvider } from './apis';

describe('BitbucketIcon', () => {
  it('draws the Bitbucket bucket', () => {
    const { container, getByTitle } = render(<BitbucketIcon />);
    const svg = container.querySelector('svg')!;
    expect(svg).toHaveAttribute('viewBox', '0 0 24 24');
    const path = svg.querySelector('path')!;
    expect(path.getAttribute('d')!.length).toBeGreaterThan(50);
    expect(getByTitle('Bitbucket')).toBeInTheDocument();
  });

  it('is the icon of the auth provider', () => {
    // AuthProviderInfo.icon may be an element or a component; ours is a component
    const Icon = bitbucketAuthProvider.icon as typeof BitbucketIcon;
    expect(Icon).toBe(BitbucketIcon);
    const { container } = render(<Icon fontSize="large" />);
    expect(container.querySelector('svg path')).not.toBeNull();
  });
});
