/** The live dashboard as a part the offline runtime serves at /dashboard/ on its own port. */
import type { Mount, MountContext } from '../../shared/contracts/mount';
import { createDashboard } from './index';

export function dashboardMount(context: MountContext): Mount {
  const dashboard = createDashboard(context);
  return { name: 'dashboard', prefix: '/dashboard', handle: (req, res) => dashboard.handle(req, res), close: () => dashboard.close() };
}
