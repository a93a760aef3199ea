// The full route table of the simulated API.
import type { Route } from '../router.ts';
import { clusterRoutes } from './cluster-routes.ts';
import { healthRoutes } from './health-routes.ts';
import { metricsRoutes } from './metrics-routes.ts';
import { migrateRoutes } from './migrate-routes.ts';
import { nodeRoutes } from './node-routes.ts';
import { powerRoutes } from './power-routes.ts';
import { rrdRoutes } from './rrd-routes.ts';
import { snapshotRoutes } from './snapshot-routes.ts';
import { taskRoutes } from './task-routes.ts';

/** Every route the simulator answers; anything else is 501. */
export const allRoutes: Route[] = [...clusterRoutes, ...nodeRoutes, ...rrdRoutes, ...taskRoutes, ...powerRoutes, ...snapshotRoutes, ...migrateRoutes, ...metricsRoutes, ...healthRoutes];
