// cdktf's jest matchers: toHaveResourceWithProperties and friends.
import { Testing } from 'cdktf';

Testing.setupJest();
