// The `agent` section (issue 17 item 2): who this agent is among several on one database.
import { z } from 'zod';

export const AgentConfig = z
  .object({
    /** This agent's id in the database (agents, cluster_leases, actions); default the host name. */
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit').optional(),
    /**
     * Other agents use this database too: no start lock, clusters and the site are taken through
     * leases that others can take over when this agent stops or dies. Every agent of a fleet sets it.
     */
    shared: z.boolean().default(false),
    /**
     * How long a lease lasts without renewal. Default: one poll interval when shared (another
     * agent takes over within ~1.25 intervals of a death), three when alone (renewed every other cycle).
     */
    leaseSeconds: z.number().int().min(2).max(86_400).optional(),
    /**
     * Where in each poll interval this agent's cycles fire, in seconds after the clock's interval
     * boundary (taken modulo the interval). Default: alone 0; shared, a slot among the live agents
     * in id order, the site lease holder last (fleet/cycle-phase.ts), so N agents on one database
     * do not all poll and write in the same second. When set, the site holder does not wait for
     * the others' clusters before building the site (fleet/fleet-cycle.ts).
     */
    phaseSeconds: z.number().min(0).optional(),
    /** Build and publish the site into paths.site even while another agent publishes the fleet's. */
    publishCopy: z.boolean().default(false),
  })
  .strict();

export type AgentConfig = z.infer<typeof AgentConfig>;
