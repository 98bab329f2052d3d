/**
 * The Lambda control plane, in memory: the functions (configuration, and code checked against
 * Lambda's limits and unpacked in the code store), their resource policies, reserved concurrency
 * and tags, and the event source mappings, through the calls the Terraform AWS provider makes for
 * aws_lambda_function, aws_lambda_permission and aws_lambda_event_source_mapping, answered as
 * Lambda answers them (restJson1, 404 ResourceNotFoundException, 409 ResourceConflictException,
 * 413 RequestEntityTooLargeException for a request past its limit). The runtime reads what was
 * deployed from here (`functions`, `mappings`) and hears of every change (`onChange`), so an
 * update takes effect on the next invocation. Not emulated: versions and aliases (only $LATEST),
 * layers, VPC, S3 or image code, code signing (none is ever configured), event sources other
 * than SQS.
 *
 * What it keeps is in model.ts, the operations in operations/, their routes in routes.ts.
 */
import { awsLimits, localstack, region as defaultRegion } from '#spec';
import { RestRouter } from '../../protocol/rest-json';
import { AwsError, type AwsRequest, type AwsService, type CallShape, type Scope } from '../../protocol/service';
import type { CodeStore } from './code';
import { type DeployedFunction, type DeployedMapping, type LambdaChange, LambdaStore, parseFunctionName, VALIDATION } from './model';
import { lambdaRoutes } from './routes';

export class LambdaService implements AwsService {
  readonly names = ['lambda'] as const;
  private readonly store: LambdaStore;

  /** Lambda's limit on a request (the edge reads no more), as Lambda refuses a larger one. */
  readonly bodyLimit = {
    bytes: awsLimits.lambdaRequestLimitBytes - 1,
    refusal: (operation = 'unknown') =>
      new AwsError(
        'RequestEntityTooLargeException',
        `Request must be smaller than ${awsLimits.lambdaRequestLimitBytes} bytes for the ${operation} operation`,
        413,
      ),
  };

  /** Routes by method and path; the edge names a call's operation (for chaos and IAM) with `router.operation`. */
  readonly router: RestRouter;

  /** `code` unpacks what is deployed; `home` is where the runtime's look-ups by bare name resolve: its region and account. */
  constructor(
    code: CodeStore,
    private readonly home: Scope = { region: defaultRegion, accountId: localstack.accountId },
  ) {
    this.store = new LambdaStore(code);
    this.router = new RestRouter({
      validationError: VALIDATION,
      // Lambda's errors say who is at fault, as its model's error shapes do.
      errorBody: (error) => ({ Type: error.status < 500 ? 'User' : 'Service', Message: error.message }),
      routes: lambdaRoutes(this.store),
    });
  }

  readonly handle = (request: AwsRequest) => this.router.handle(request);
  readonly operationOf = (call: CallShape) => this.router.operation(call.method, call.path);
  readonly errorResponse = (error: AwsError, requestId: string) => this.router.errorResponse(error, requestId);

  /** Every deployed function, in name order. */
  functions(): DeployedFunction[] {
    return this.store.functions();
  }

  /** The function a name or ARN names, as deployed now; the runtime reads it at each invocation. */
  function(nameOrArn: string): DeployedFunction | undefined {
    return this.store.functionRecords.get(parseFunctionName(nameOrArn, this.home).arn)?.config;
  }

  /** Every event source mapping, enabled or not. */
  mappings(): DeployedMapping[] {
    return this.store.mappings();
  }

  mapping(uuid: string): DeployedMapping | undefined {
    return this.store.mappingRecords.get(uuid)?.config;
  }

  /** Calls `listener` after every change to a function or a mapping; returns the unsubscribe. */
  onChange(listener: (change: LambdaChange) => void): () => void {
    return this.store.onChange(listener);
  }
}
