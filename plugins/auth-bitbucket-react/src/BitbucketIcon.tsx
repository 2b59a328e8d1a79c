import SvgIcon, { SvgIconProps } from '@material-ui/core/SvgIcon';

/**
 * The Bitbucket logo (the bucket), as a Material UI icon that follows the
 * surrounding text colour and size.
 *
 * The stock Bitbucket provider in `@backstage/core-app-api` uses an icon that
 * draws nothing; this one is used by {@link bitbucketAuthApiFactory}, so it
 * appears in the "Login Required" dialog and in the user settings.
 *
 * @public
 */
export function BitbucketIcon(props: SvgIconProps) {
  return (
    <SvgIcon viewBox="0 0 24 24" titleAccess="Bitbucket" {...props}>
      <path d="M.778 1.213a.768.768 0 0 0-.768.892l3.263 19.81c.084.5.515.868 1.022.873H19.95a.772.772 0 0 0 .77-.646l3.27-20.03a.768.768 0 0 0-.768-.891zM14.52 15.53H9.522L8.17 8.466h7.561z" />
    </SvgIcon>
  );
}
