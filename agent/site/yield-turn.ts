// Lets the event loop run between the site build's synchronous pieces (pages): at 50,000 guests
// the fleet pages were one synchronous stretch of 5-9 s, long enough for the lease keeper's timer
// to miss its renewals and the agent to lose every lease (issue 17, scale bench). A turn is a
// setImmediate: I/O and due timers run before the build goes on.

/** Resolves on the next turn of the event loop (after pending I/O and due timers). */
export function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
