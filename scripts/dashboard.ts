/** `npm run dashboard`: the live dashboard on its own port; the command is dashboard/server/dashboard-command.ts. */
import '../shared/cli/quiet-sdk';
import { runDashboard } from '../dashboard/server/dashboard-command';
import { main } from '../shared/cli/command';

main(() => runDashboard(process.argv.slice(2)));
