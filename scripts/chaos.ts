/** `npm run chaos`: the command is chaos/cli/chaos-command.ts. */
import '../shared/cli/quiet-sdk';
import { runChaosCli } from '../chaos/cli/chaos-command';
import { main } from '../shared/cli/command';

main(() => runChaosCli(process.argv.slice(2)));
