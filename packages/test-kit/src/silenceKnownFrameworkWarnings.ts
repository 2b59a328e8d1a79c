/**
 * Warnings Backstage's own components give in every test of a Backstage 1.55
 * app (React Router v7 future flags, Material UI v4's findDOMNode, a JSS
 * rule jsdom cannot parse). They are silenced by their exact text, so any
 * other warning still shows.
 */
const knownFrameworkWarnings = [
  'React Router Future Flag Warning',
  'findDOMNode is deprecated',
  '[JSS] processedRuleToParse is not defined',
  // the new frontend system's app shell (@backstage/plugin-app toasts, Backstage UI on react-aria)
  'AlertApi is deprecated and will be removed in a future release.',
  'WARN: A component changed from uncontrolled to controlled.',
  '<Focusable> child must have an interactive ARIA role.',
  // @backstage/plugin-user-settings' provider list nests a <div> avatar in a <p>
  'at ProviderSettingsItem (',
];

export function silenceKnownFrameworkWarnings() {
  for (const level of ['warn', 'error'] as const) {
    // eslint-disable-next-line no-console
    const original = console[level];
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      const text = args.map(String).join(' ');
      if (!knownFrameworkWarnings.some(known => text.includes(known))) {
        original(...args);
      }
    });
  }
}
