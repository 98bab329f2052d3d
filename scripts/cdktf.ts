/** `npm run synth|plan|deploy|destroy`: the command is shared/terraform/cdktf-command.ts. */
import { runCdktf } from '../shared/terraform/cdktf-command';
import { main } from '../shared/cli/command';

main(() => runCdktf(process.argv.slice(2)));
