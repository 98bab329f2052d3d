/**
 * The offline runtime's own HTTP contract beside LocalStack's: its control paths, the header an
 * observer (the dashboard) puts on its readings, and how its health check tells it apart.
 */

/** The runtime's own control endpoints: a path LocalStack does not have, so no tool mistakes them for its API. */
export const OFFLINE_PREFIX = '/_offline/';

/** Lambda-level faults (AWS FIS's aws:lambda:invocation-error and -add-delay), offline only. */
export const LAMBDA_FAULTS_PATH = `${OFFLINE_PREFIX}chaos/lambda-faults`;

/**
 * The header an observer (the dashboard) puts on its own readings (the Chaos API, queue depths,
 * the table): their log lines end in "(dashboard)" and are `debug` lines, shown only with
 * --verbose, so an open page does not flood the terminal once a second; and faults and latency
 * leave them alone, as an outage leaves CloudWatch's metrics readable: the page keeps showing the
 * table and the queues during an outage, and its readings draw nothing from a seeded rule's
 * sequence (an experiment replays the same with a page open). IAM still applies.
 */
export const OBSERVER_HEADER = 'x-chaos-dashboard';

/** The `edition` GET /_localstack/health answers on the offline runtime; LocalStack answers its own. */
export const OFFLINE_EDITION = 'offline';

/** What a target is: the offline runtime, or LocalStack (told apart by the health check's edition). */
export type TargetKind = 'offline' | 'localstack';
