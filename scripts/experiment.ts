/** `npm run experiment`: the command is chaos/cli/experiment-command.ts. */
import '../shared/cli/quiet-sdk';
import { runExperimentCommand } from '../chaos/cli/experiment-command';
import { main } from '../shared/cli/command';

main(() => runExperimentCommand(process.argv.slice(2)));
