// The outbox relay: claims due deliveries with a lease (safe with several server instances), POSTs each signed
// envelope, and records the outcome on the delivery row and the conversation timeline.
import type { FastifyBaseLogger } from 'fastify';
import { addTimeline } from '../store/conversations';
import type { Store } from '../store/database';
import { claimDueDeliveries, finishAttempt, recordSubscriptionHealth, releaseLease, type ClaimedDelivery } from '../store/outbox';
import { createDestinationPolicy, RefusedDestinationError, type DestinationPolicy } from './destinations';
import { RELAY_MAX_IN_FLIGHT, RELAY_MAX_IN_FLIGHT_PER_URL } from '../limits';
import { retryAfterMs } from './retry-after';
import { sendWebhook } from './send';
import { signPayload } from './signing';

/** Delay before each attempt: the first is immediate, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_RETRY_SCHEDULE_MS = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

export interface RelayOptions {
	/** Delays before attempt 1..n; after the last attempt fails the delivery is failed. */
	retryScheduleMs?: number[];
	/** How often the relay looks for due deliveries when nothing woke it. */
	pollIntervalMs?: number;
	attemptTimeoutMs?: number;
	/** Deliveries in flight at once per destination URL (per instance). */
	maxInFlightPerUrl?: number;
	/** Deliveries in flight at once over all destinations (per instance); bounds connections and memory. */
	maxInFlight?: number;
	/** Deliveries claimed per pass. */
	batchSize?: number;
	/** false: do not start the loop (tests that only look at the outbox). */
	enabled?: boolean;
	/** A destination failing without a success for this long is marked failing and reported (default 1 h). */
	markFailingAfterMs?: number;
	/**
	 * Fault tests only: hold the first attempt just before sending or just after the receiver answered (before
	 * the result is recorded), so a test can kill the process at that point.
	 */
	faultPause?: FaultPausePoint;
	/** Which destinations may be contacted; checked again on the resolved address of every attempt. */
	destinations?: DestinationPolicy;
}

export type FaultPausePoint = 'before-send' | 'after-send';
/** How long a fault pause holds before going on, so a test that never kills still ends. */
const FAULT_PAUSE_MS = 60_000;

export interface Relay {
	start(): void;
	/** Look for work now (called after a commit that queued deliveries). */
	wake(): void;
	/** Resolves once the loop has stopped and in-flight attempts have finished. */
	stop(): Promise<void>;
	/** One claim-and-send pass; resolves when the claimed deliveries are done (tests). */
	runOnce(): Promise<number>;
}

export function createRelay(store: Store, log: FastifyBaseLogger, options: RelayOptions = {}): Relay {
	const schedule = options.retryScheduleMs ?? DEFAULT_RETRY_SCHEDULE_MS;
	const pollMs = options.pollIntervalMs ?? 1_000;
	const timeoutMs = options.attemptTimeoutMs ?? 15_000;
	const perUrl = options.maxInFlightPerUrl ?? RELAY_MAX_IN_FLIGHT_PER_URL;
	const maxInFlight = options.maxInFlight ?? RELAY_MAX_IN_FLIGHT;
	const batch = options.batchSize ?? 50;
	const markFailingAfterMs = options.markFailingAfterMs ?? 3_600_000;
	const destinations = options.destinations ?? createDestinationPolicy();
	// The lease outlives the attempt timeout (plus bookkeeping) so a live attempt is never claimed twice.
	const leaseMs = timeoutMs + Math.min(30_000, timeoutMs);
	// Never wait longer than the schedule's longest step, whatever Retry-After asks for.
	const maxDelayMs = Math.max(...schedule);
	let faultPaused = false;

	const inFlight = new Map<string, number>();
	const running = new Set<Promise<void>>();
	// Aborts attempts still running at shutdown; their rows are released for a later retry.
	let shutdown = new AbortController();
	let stopped = true;
	let timer: NodeJS.Timeout | undefined;
	let passing = false;
	let again = false;

	const capacity = (url: string) => perUrl - (inFlight.get(url) ?? 0);

	async function pass(): Promise<number> {
		const room = Math.min(batch, maxInFlight - running.size);
		if (room <= 0) return 0;
		const claimed = await claimDueDeliveries(store.db, { now: new Date(), leaseMs, limit: room, capacity });
		for (const d of claimed) {
			inFlight.set(d.url, (inFlight.get(d.url) ?? 0) + 1);
			const p = attempt(d)
				.catch((err) => log.error({ err, deliveryId: d.id }, 'delivery bookkeeping failed'))
				.finally(() => {
					const left = (inFlight.get(d.url) ?? 1) - 1;
					if (left <= 0) inFlight.delete(d.url);
					else inFlight.set(d.url, left);
					running.delete(p);
					// A slot freed up: queued deliveries for this URL can go now.
					if (!stopped) wake();
				});
			running.add(p);
		}
		return claimed.length;
	}

	async function faultPause(point: FaultPausePoint, d: ClaimedDelivery): Promise<void> {
		if (options.faultPause !== point || faultPaused) return;
		faultPaused = true;
		log.warn({ faultPause: point, deliveryId: d.id }, 'fault pause');
		await new Promise((r) => setTimeout(r, FAULT_PAUSE_MS));
	}

	async function attempt(d: ClaimedDelivery): Promise<void> {
		const attemptNo = d.attempts + 1;
		await faultPause('before-send', d);
		const timestamp = new Date();
		const headers = signPayload(d.secret, d.id, timestamp, d.envelope);
		let statusCode: number | null = null;
		let error: string | null = null;
		let retryAfter: number | undefined;
		const timeout = AbortSignal.timeout(timeoutMs);
		try {
			const res = await sendWebhook(
				destinations,
				d.url,
				{ ...headers, 'content-type': 'application/json', 'user-agent': 'agent-bridge-relay/1' },
				d.envelope,
				AbortSignal.any([timeout, shutdown.signal]),
			);
			statusCode = res.statusCode;
			if (res.statusCode < 200 || res.statusCode >= 300) error = `HTTP ${res.statusCode}`;
			retryAfter = retryAfterMs(res.retryAfter, Date.now());
		} catch (err) {
			const e = err as NodeJS.ErrnoException;
			if (timeout.aborted) error = `timed out after ${timeoutMs} ms`;
			else if (e instanceof RefusedDestinationError) error = `destination refused: ${e.message}`;
			else error = e.code ?? e.message;
		}

		if (shutdown.signal.aborted) {
			// Not the receiver's fault: release the lease without counting the attempt (same webhook-id next time).
			await releaseLease(store.db, d).catch(() => undefined);
			return;
		}
		await faultPause('after-send', d);
		const now = Date.now();
		const delivered = error === null;
		const exhausted = !delivered && attemptNo >= schedule.length;
		const status = delivered ? 'delivered' : exhausted ? 'failed' : 'pending';
		// The receiver may ask for more time (429/503 + Retry-After), never for less than the schedule.
		const delay = Math.min(Math.max(schedule[attemptNo] ?? 0, retryAfter ?? 0), maxDelayMs);
		const nextAttemptAt = new Date(delivered || exhausted ? now : now + delay).toISOString();
		const recorded = await finishAttempt(store.db, d, { status, attempts: attemptNo, nextAttemptAt, error, statusCode });
		if (!recorded) return; // the lease was lost (e.g. subscription deleted meanwhile): another writer owns the row
		const marked = await recordSubscriptionHealth(store.db, d.subscriptionId, { ok: delivered, error, at: new Date(now), markFailingAfterMs });
		if (marked) {
			log.warn({ subscriptionId: d.subscriptionId, error }, 'subscription marked failing: its destination has not accepted a delivery for a long time');
		}
		log.info(
			{ deliveryId: d.id, eventId: d.eventId, subscriptionId: d.subscriptionId, attempt: attemptNo, statusCode, status, error },
			'webhook delivery attempt',
		);
		if (d.conversationId) {
			await addTimeline(store.db, d.workspaceId, d.conversationId, 'delivery', {
				eventId: d.eventId,
				eventType: d.eventType,
				deliveryId: d.id,
				subscriptionId: d.subscriptionId,
				attempt: attemptNo,
				status: delivered ? 'delivered' : exhausted ? 'failed' : 'retrying',
				statusCode,
				...(error ? { error } : {}),
				...(status === 'pending' ? { nextAttemptAt } : {}),
			});
		}
	}

	function schedule_(delay: number) {
		if (stopped) return;
		if (timer) clearTimeout(timer);
		timer = setTimeout(loop, delay);
		timer.unref?.();
	}

	async function loop() {
		timer = undefined;
		if (stopped) return;
		if (passing) {
			again = true;
			return;
		}
		passing = true;
		let claimed = 0;
		try {
			claimed = await pass();
		} catch (err) {
			if (!stopped) log.error({ err }, 'delivery relay pass failed');
		} finally {
			passing = false;
		}
		// A full batch or a wake during the pass means there may be more right away.
		const more = again || claimed >= batch;
		again = false;
		schedule_(more ? 0 : pollMs);
	}

	function wake() {
		if (stopped) return;
		if (passing) again = true;
		else schedule_(0);
	}

	return {
		start() {
			if (options.enabled === false || !stopped) return;
			stopped = false;
			shutdown = new AbortController();
			schedule_(0);
		},
		wake,
		async stop() {
			stopped = true;
			shutdown.abort();
			if (timer) clearTimeout(timer);
			timer = undefined;
			while (running.size > 0 || passing) {
				await Promise.allSettled([...running]);
				if (passing) await new Promise((r) => setTimeout(r, 5));
			}
		},
		async runOnce() {
			const n = await pass();
			await Promise.allSettled([...running]);
			return n;
		},
	};
}
