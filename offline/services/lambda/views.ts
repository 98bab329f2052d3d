/** Functions and mappings as Lambda renders them. */
import type { DeployedFunction, DeployedMapping } from './model';

/** FunctionConfiguration as Lambda renders it; `arn` is qualified in the version listings. */
export function configuration(fn: DeployedFunction, arn = fn.arn) {
  return {
    FunctionName: fn.name,
    FunctionArn: arn,
    Runtime: fn.runtime,
    Role: fn.role,
    Handler: fn.handler,
    CodeSize: fn.codeSize,
    Description: fn.description,
    Timeout: fn.timeout,
    MemorySize: fn.memorySize,
    LastModified: fn.lastModified,
    CodeSha256: fn.codeSha256,
    Version: '$LATEST',
    ...(Object.keys(fn.environment).length > 0 ? { Environment: { Variables: fn.environment } } : {}),
    TracingConfig: { Mode: fn.tracingMode },
    RevisionId: fn.revisionId,
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: fn.architectures,
    EphemeralStorage: { Size: fn.ephemeralStorage },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    LoggingConfig: { LogFormat: fn.logFormat, LogGroup: fn.logGroup },
  };
}

/** EventSourceMappingConfiguration as Lambda renders it; writes answer with the transitional state. */
export function mappingView(mapping: DeployedMapping, state = mapping.enabled ? 'Enabled' : 'Disabled') {
  return {
    UUID: mapping.uuid,
    BatchSize: mapping.batchSize,
    MaximumBatchingWindowInSeconds: mapping.maximumBatchingWindowInSeconds,
    EventSourceArn: mapping.eventSourceArn,
    FunctionArn: mapping.functionArn,
    LastModified: mapping.lastModified / 1000,
    State: state,
    StateTransitionReason: 'USER_INITIATED',
    FunctionResponseTypes: mapping.functionResponseTypes,
    ...(mapping.maximumConcurrency === undefined ? {} : { ScalingConfig: { MaximumConcurrency: mapping.maximumConcurrency } }),
    EventSourceMappingArn: mapping.arn,
  };
}

export const concurrency = (fn: DeployedFunction) => (fn.reservedConcurrency === undefined ? {} : { ReservedConcurrentExecutions: fn.reservedConcurrency });
