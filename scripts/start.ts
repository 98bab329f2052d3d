/** `npm start`: the offline runtime, with the dashboard mounted; the command is offline/runtime/start-command.ts. */
import '../shared/cli/quiet-sdk';
import { dashboardMount } from '../dashboard/server/mount';
import { runStart } from '../offline/runtime/start-command';
import { main } from '../shared/cli/command';

main(() => runStart(process.argv.slice(2), (context) => [dashboardMount(context)]));
