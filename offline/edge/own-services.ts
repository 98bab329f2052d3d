/** The services the runtime answers itself (its control plane), found by the name a call is signed for. */
import { type AwsService, signingScope } from '../protocol/service';

export type SigningScope = NonNullable<ReturnType<typeof signingScope>>;

export class OwnServices {
  constructor(private readonly services: readonly AwsService[] = []) {}

  /** The signing names they answer. */
  get names(): string[] {
    return this.services.flatMap((service) => service.names);
  }

  /** The service a call signed with this Authorization header is for, with its signing scope. */
  for(authorization: string | string[] | undefined): { service: AwsService; scope: SigningScope } | undefined {
    const scope = signingScope(authorization);
    const service = scope && this.services.find(({ names }) => names.includes(scope.service));
    return scope && service && { service, scope };
  }
}
