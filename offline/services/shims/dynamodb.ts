/**
 * The shim in front of dynalite (DynamoDB, JSON 1.0): what the Terraform AWS provider needs from
 * it that dynalite does not do.
 */
import type { EmulatorShim } from '../../protocol/emulator';

/**
 * DescribeContinuousBackups: the provider reads it for every table. dynalite lacks it
 * (UnknownOperationException, which the provider tolerates but logs as a failed call); the
 * runtime keeps no backups, so point-in-time recovery is reported off, as AWS reports it for a
 * new table. A missing table is TableNotFoundException, as AWS answers this call.
 */
async function describeContinuousBackups(body: string, forward: Parameters<EmulatorShim>[2]) {
  const table = await forward(body, 'DescribeTable');
  if (table.statusCode !== 200) {
    let tableName = '';
    try {
      tableName = String((JSON.parse(body) as { TableName?: unknown }).TableName ?? '');
    } catch {
      return table; // malformed JSON: dynalite has said so in its own words
    }
    if (!String(table.body).includes('ResourceNotFoundException')) return table;
    return {
      statusCode: 400,
      headers: { 'Content-Type': 'application/x-amz-json-1.0' },
      body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#TableNotFoundException', message: `Table not found: ${tableName}` }),
    };
  }
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/x-amz-json-1.0' },
    body: JSON.stringify({
      ContinuousBackupsDescription: { ContinuousBackupsStatus: 'ENABLED', PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' } },
    }),
  };
}

export const dynamodbShim: EmulatorShim = async (call, body, forward) =>
  call.operation === 'DescribeContinuousBackups' ? describeContinuousBackups(body, forward) : forward(body);
