/** A policy full of wildcards is answered rather than freezing the runtime (the match itself: test/unit/iam-wildcard.test.ts). */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Decision, PolicyDocument } from '../../offline/services/iam/policy';
import { REPO_ROOT } from '../../shared/paths';

describe('a policy of many wildcards', () => {
  let worker: Worker | undefined;
  afterEach(() => worker?.terminate());

  /**
   * Evaluated in a worker thread: a match that never ends would block this thread too, and the
   * test's timeout with it; from here the timeout fails the test instead.
   */
  function evaluateInWorker(policies: PolicyDocument[], action: string, resource: string): Promise<Decision['result']> {
    worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       require('tsx/cjs');
       const { evaluate } = require(workerData.module);
       parentPort.postMessage(evaluate(workerData.policies, workerData.action, workerData.resource).result);`,
      { eval: true, workerData: { module: path.join(REPO_ROOT, 'offline/services/iam/policy.ts'), policies, action, resource } },
    );
    const running = worker;
    return new Promise((resolve, reject) => {
      running.once('message', resolve);
      running.once('error', reject);
    });
  }

  it(
    'answers a resource pattern of 30 wildcards against a long ARN it does not match',
    async () => {
      const pattern = `arn:${'*'.repeat(30)}Z`;
      const resource = `arn:aws:dynamodb:us-east-1:000000000000:table/${'Products'.repeat(25)}`;
      const policies: PolicyDocument[] = [
        { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 'dynamodb:*', Resource: pattern }] },
        { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: `arn:*:${'*'.repeat(28)}:table/*s` }] },
      ];
      expect(await evaluateInWorker(policies, 'dynamodb:PutItem', resource)).toBe('allowed');
      expect(await evaluateInWorker(policies, 'dynamodb:PutItem', `${resource}Z`)).toBe('explicitly-denied');
    },
    // Time to start a worker that compiles TypeScript on a busy machine; the unbounded match never ends.
    20_000,
  );
});
