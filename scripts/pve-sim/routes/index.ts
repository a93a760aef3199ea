// The full route table of the simulated API.
import type { Route } from '../router.ts';
import { clusterRoutes } from './cluster-routes.ts';
import { nodeRoutes } from './node-routes.ts';

/** Every route the simulator answers; anything else is 501. */
export const allRoutes: Route[] = [...clusterRoutes, ...nodeRoutes];
