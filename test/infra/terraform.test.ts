/** terraform validate and plan of the synthesized stack, offline through the project's provider mirror config. */
import { terraformSkipReason, synthToDir, terraform } from '../support/terraform';
import { testStack } from '../support/stack';

const skip = terraformSkipReason();
if (skip) console.log(`Skipping terraform validate/plan: ${skip}`);

(skip ? describe.skip : describe)('terraform', () => {
  let dir: string;

  beforeAll(async () => {
    dir = synthToDir(testStack(undefined, { statePath: 'terraform.tfstate' }));
    await terraform(dir, ['init', '-input=false']);
  }, 120_000);

  it('validates the synthesized stack against the provider schema', async () => {
    expect(await terraform(dir, ['validate'])).toContain('Success! The configuration is valid.');
  }, 120_000);

  it('plans every resource without reaching any endpoint', async () => {
    // Port 9 (discard) has nothing listening: with offline_plan the plan needs no AWS or LocalStack.
    const plan = await terraform(dir, ['plan', '-input=false', '-lock=false', '-var', 'endpoint=http://127.0.0.1:9', '-var', 'offline_plan=true']);
    expect(plan).toMatch(/Plan: 2\d to add, 0 to change, 0 to destroy\./);
    for (const address of [
      'aws_dynamodb_table.products-table',
      'aws_lambda_event_source_mapping.retry-event-source',
      'aws_api_gateway_stage.product-api-stage',
    ]) {
      expect(plan).toContain(`${address} will be created`);
    }
  }, 120_000);
});
