/** Types of bundle-status.js (plain JS, so the bin can use it before tsx is loaded). */
export interface BundleStatus {
  current: boolean;
  reason?: string;
}
/** Is the bundle current: it and its inputs list exist, and no input changed after it or went missing. */
export function bundleStatus(bundle: string, root?: string): BundleStatus;
/** dist/pmi-agent.js of this application. */
export const AGENT_BUNDLE: string;
