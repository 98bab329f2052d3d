import { Testing } from 'cdktf';
import path from 'node:path';
import { ProductStack, type StackOptions } from '../../infra/stack';
import { localstack, region } from '#spec';
import type { DeployTarget } from '../../infra/deploy-target';

export const localstackTarget: DeployTarget = { kind: 'localstack', region, endpoint: localstack.endpoint };

/** A fresh stack in a test app; jest's global set-up has built the bundles it zips. */
export function testStack(target: DeployTarget = localstackTarget, options: StackOptions = {}): ProductStack {
  return new ProductStack(Testing.app(), 'product-service', target, options);
}

/** The stack with empty bundle folders (test/support/no-code), for a unit test of its resources: no build. */
export function stackWithoutCode(): ProductStack {
  return testStack(undefined, { bundleRoot: path.join(__dirname, 'no-code') });
}

interface Synthesized {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  provider: Record<string, Array<Record<string, unknown>>>;
  output: Record<string, { value: unknown }>;
  variable?: Record<string, { default?: unknown }>;
  locals?: Record<string, unknown>;
}

export const parse = (json: string) => JSON.parse(json) as Synthesized;
