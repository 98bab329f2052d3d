// Every test starts from the environment a deployed Lambda would see, with logs silenced unless asked for.
// Lambdas run on nodejs22.x; this machine's Node 20 only hosts the tests, so the SDK's Node 20 notice is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.AWS_REGION ??= 'us-east-1';
process.env.AWS_ACCESS_KEY_ID ??= 'test';
process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
process.env.TABLE_NAME ??= 'Products';
process.env.TOPIC_ARN ??= 'arn:aws:sns:us-east-1:000000000000:ProductEventsTopic';
process.env.QUEUE_URL ??= 'http://localhost:4566/000000000000/ProductEventsQueue';
process.env.DLQ_URL ??= 'http://localhost:4566/000000000000/ProductEventsDLQ';
