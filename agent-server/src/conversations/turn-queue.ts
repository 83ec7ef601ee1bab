// One turn at a time per conversation, across every instance on one database: a lease on the conversation row
// (taken with one conditional UPDATE, so a crashed holder frees it when it runs out). Waiters on this instance are
// woken when the lease is given back; waiters on other instances notice by polling. The lease can be taken in the
// transaction that stores the message and given back in the one that answers it, so a turn commits twice, not four times.
import { randomUUID } from 'node:crypto';
import { claimTurn, releaseTurn } from '../store/conversations';
import type { Store } from '../store/database';
import { notifyLive, notifyLiveSoon } from '../store/live-bus';
import type { Queryable } from '../store/schema';
import { createWakers } from '../util/wakers';

export interface TurnQueueOptions {
	/** How long a turn may hold the conversation before another instance may take it over (default 2 min). */
	leaseMs?: number;
	/** How long a message waits for the turns before it; then the request answers 202 (default 60 s). */
	queueWaitMs?: number;
	/** How often a waiter looks for a lease given back on another instance (default 50 ms). */
	pollMs?: number;
}

export interface TurnLease {
	/** Keeps the lease while the turn waits for a workflow's result (the wait plus the usual lease). */
	extendFor(ms: number): Promise<void>;
	/**
	 * Gives the lease back as part of the caller's transaction (the turn that answers the message); returns what to
	 * call once that transaction committed (until then, `release()` still gives it back itself).
	 */
	releaseIn(trx: Queryable): Promise<() => void>;
	/** Gives the lease back (nothing to write when the turn's transaction already did) and wakes this instance's waiters. */
	release(): Promise<void>;
}

export interface TurnQueue {
	/**
	 * Waits until this caller holds the conversation's turn lease; 'answered' when, while the lease is held elsewhere,
	 * `answered()` says the caller's message was answered by another holder; 'timeout' past the queue wait.
	 */
	acquire(workspaceId: string, conversationId: string, answered: () => Promise<boolean>): Promise<TurnLease | 'answered' | 'timeout'>;
	/** Shutdown: every caller still queued gives up now ('timeout'); their messages are stored and answered later. */
	stopWaiting(): void;
	/** The lease if nobody holds it now, else null (for the sweeper). */
	tryAcquire(workspaceId: string, conversationId: string): Promise<TurnLease | null>;
	/** The lease if nobody holds it now, taken in the caller's transaction (it holds once that commits). */
	tryAcquireIn(trx: Queryable, workspaceId: string, conversationId: string): Promise<TurnLease | null>;
}

export function createTurnQueue(store: Store, options: TurnQueueOptions = {}): TurnQueue {
	const leaseMs = options.leaseMs ?? 120_000;
	const queueWaitMs = options.queueWaitMs ?? 60_000;
	const pollMs = options.pollMs ?? 50;
	const wakers = createWakers();
	let stopped = false;

	const until = (ms: number) => new Date(Date.now() + ms).toISOString();
	async function claim(db: Queryable, workspaceId: string, conversationId: string, inTransaction = false): Promise<TurnLease | null> {
		const owner = randomUUID();
		// Inside the caller's transaction it never waits for a running turn's row lock: that turn may need a connection
		// the waiting transactions hold.
		if (!(await claimTurn(db, workspaceId, conversationId, owner, until(leaseMs), { skipLocked: inTransaction }))) return null;
		// The agent's turn is running: live pages show it typing until the lease is given back. Inside a transaction
		// the notice goes out when it commits (a claim rolled back announces nothing).
		const typing = (on: boolean) => ({ k: 'typing' as const, w: workspaceId, c: conversationId, who: 'agent' as const, on });
		if (inTransaction) await notifyLive(db, typing(true));
		else notifyLiveSoon(store.db, typing(true));
		let released = false;
		return {
			extendFor: async (ms) => void (await claimTurn(store.db, workspaceId, conversationId, owner, until(Math.max(0, ms) + leaseMs))),
			releaseIn: async (trx) => {
				await releaseTurn(trx, workspaceId, conversationId, owner);
				await notifyLive(trx, typing(false));
				return () => void (released = true);
			},
			release: async () => {
				if (!released) {
					await releaseTurn(store.db, workspaceId, conversationId, owner);
					notifyLiveSoon(store.db, typing(false));
				}
				released = true;
				wakers.wake(conversationId);
			},
		};
	}

	return {
		stopWaiting() {
			stopped = true;
			wakers.wakeAll();
		},
		tryAcquire: (workspaceId, conversationId) => claim(store.db, workspaceId, conversationId),
		tryAcquireIn: (trx, workspaceId, conversationId) => claim(trx, workspaceId, conversationId, true),
		async acquire(workspaceId, conversationId, answered) {
			const giveUpAt = Date.now() + queueWaitMs;
			for (;;) {
				const lease = await claim(store.db, workspaceId, conversationId);
				if (lease) return lease;
				if (await answered()) return 'answered';
				const left = giveUpAt - Date.now();
				if (left <= 0 || stopped) return 'timeout';
				await wakers.sleep(conversationId, Math.min(pollMs, left));
			}
		},
	};
}
