import { rootHttpRouterServiceFactory } from '@backstage/backend-defaults/rootHttpRouter';
import type { RequestHandler } from 'express';

/**
 * The request log reads `originalUrl` when the response has finished; this
 * listener is registered before it, so it runs first.
 */
const omitCallbackQueryFromRequestLog: RequestHandler = (req, res, next) => {
  if (req.path.endsWith('/handler/frame')) {
    res.once('finish', () => {
      req.originalUrl = req.originalUrl.replace(/\?.*$/s, '');
    });
  }
  next();
};

/**
 * Backstage's request log writes every URL whole, and a sign-in callback
 * (`/api/auth/<provider>/handler/frame`) carries the authorization code and
 * the state in its query: log pipelines would keep both. This is the default
 * root HTTP router, except that the request log sees callbacks without their
 * query.
 */
export const rootHttpRouterWithoutCallbackQueries =
  rootHttpRouterServiceFactory({
    configure({ app, applyDefaults }) {
      app.use(omitCallbackQueryFromRequestLog);
      applyDefaults();
    },
  });
