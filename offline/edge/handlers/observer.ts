/**
 * An observer's readings (OBSERVER_HEADER, put on by the dashboard): faults and latency leave them
 * alone and their log lines are debug lines; IAM still applies.
 */
import { OBSERVER_HEADER } from '../../../shared/contracts/offline-api';
import type { EdgeContext, Handler } from '../chain';

export const observer: Handler<EdgeContext> = (context, next) => {
  context.observer = context.req.headers[OBSERVER_HEADER] !== undefined;
  return next();
};
