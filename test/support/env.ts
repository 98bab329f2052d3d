// Every test starts from the environment a deployed Lambda would see, with logs silenced unless asked for.
// Lambdas run on nodejs22.x; this machine's Node 20 only hosts the tests, so the SDK's Node 20 notice is noise here.
import '../../shared/cli/quiet-sdk';
import { env, localstack, names, region } from '#spec';

process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_REGION ??= region;
process.env.AWS_ACCESS_KEY_ID ??= localstack.accessKey;
process.env.AWS_SECRET_ACCESS_KEY ??= localstack.secretKey;
process.env[env.tableName] ??= names.table;
process.env[env.topicArn] ??= `arn:aws:sns:${region}:${localstack.accountId}:${names.topic}`;
process.env[env.queueUrl] ??= `${localstack.endpoint}/${localstack.accountId}/${names.queue}`;
process.env[env.deadLetterQueueUrl] ??= `${localstack.endpoint}/${localstack.accountId}/${names.deadLetterQueue}`;
