/**
 * The parts the runtime was given to serve under their own path prefix (npm start gives it the
 * dashboard's page and API). Their requests are not the runtime's work: a stop does not wait for
 * them (a page's event stream stays open for as long as the page does), it refuses new ones.
 */
import type { Mount } from '../../../shared/contracts/mount';
import { jsonAnswer } from '../answers';
import type { EdgeContext, Handler } from '../chain';
import { type OpenRequests, STOPPING_MESSAGE } from '../stop';

export const mounts =
  (mounted: () => readonly Mount[], open: OpenRequests): Handler<EdgeContext> =>
  async (context, next) => {
    const { req, res, path } = context;
    const mount = mounted().find(({ prefix }) => path === prefix || path.startsWith(`${prefix}/`));
    if (!mount) return next();
    if (open.stopping) return jsonAnswer(503, { message: STOPPING_MESSAGE });
    try {
      // Answered on the response by the mount itself (an event stream is never one answer).
      if (await mount.handle(req, res)) return undefined;
      return jsonAnswer(404, { message: `Not a ${mount.name} path: ${req.url ?? '/'}` });
    } catch (error) {
      const name = `${mount.name.charAt(0).toUpperCase()}${mount.name.slice(1)}`;
      context.log(`${name} error on ${req.method} ${req.url}: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) return jsonAnswer(500, { message: `Internal error in the ${mount.name}` });
      res.destroy();
      return undefined;
    }
  };
